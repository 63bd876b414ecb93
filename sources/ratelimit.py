"""What services say about when to come back: Retry-After and rate-limit budget headers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime

# Reddit sends seconds until reset; GitHub an epoch; Mastodon an ISO 8601 time.
_EPOCH_THRESHOLD = 1_000_000_000
_NUMBER = re.compile(r"^\s*\d+(\.\d+)?\s*$")


def retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """The moment a Retry-After header (delta seconds or HTTP-date) allows, or None."""
    value = headers.get("retry-after")
    if not value:
        return None
    if _NUMBER.match(value):
        return now + float(value)
    try:
        moment = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return moment.timestamp()


def budget_exhausted_until(headers: Mapping[str, str], now: float) -> float | None:
    """When a spent rate-limit budget (x-ratelimit-remaining below 1) comes back, or None.

    Reddit: x-ratelimit-remaining/used/reset (seconds). GitHub: x-ratelimit-remaining/reset
    (epoch seconds). Mastodon: X-RateLimit-Remaining/Reset (ISO 8601).
    """
    remaining = headers.get("x-ratelimit-remaining")
    if remaining is None:
        return None
    try:
        if float(remaining) >= 1:
            return None
    except ValueError:
        return None
    return _reset_moment(headers.get("x-ratelimit-reset"), now) or now + 60.0


def _reset_moment(value: str | None, now: float) -> float | None:
    if not value:
        return None
    if _NUMBER.match(value):
        number = float(value)
        return number if number > _EPOCH_THRESHOLD else now + number
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
