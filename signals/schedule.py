"""When a source is due again: its interval, with jitter, stretched while it keeps failing."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

MAX_BACKOFF_FACTOR = 32  # a failing source waits at most 32 intervals...
MAX_BACKOFF_SECONDS = 6 * 3600.0  # ...and never more than 6 hours (unless its interval is longer)
JITTER = 0.1  # +-10 %: sources configured alike do not all fire at once


def delay_after(interval: float, failures: int, jitter: bool = True) -> float:
    """Seconds until the next crawl of a source after `failures` consecutive failures."""
    seconds = interval
    if failures > 0:
        factor = min(2 ** (failures - 1) * 2, MAX_BACKOFF_FACTOR)
        seconds = max(interval, min(interval * factor, MAX_BACKOFF_SECONDS))
    if jitter:
        seconds *= 1 + random.uniform(-JITTER, JITTER)
    return seconds


def next_due(last_fetch_at: datetime | None, interval: float, failures: int) -> datetime | None:
    """When the source is next due (no jitter), or None when it was never fetched (due now)."""
    if last_fetch_at is None:
        return None
    return last_fetch_at + timedelta(seconds=delay_after(interval, failures, jitter=False))
