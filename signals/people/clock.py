"""The people area's clock: now, unless a test or `--as-of` fixes it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from signals.store.columns import utcnow

_fixed: datetime | None = None


def now() -> datetime:
    """The current time in UTC, or the fixed one."""
    return _fixed or utcnow()


@contextmanager
def fixed(moment: datetime) -> Iterator[None]:
    """Run a block as if it were moment (scores, stages and task deadlines use it)."""
    global _fixed
    if moment.tzinfo is None:
        raise ValueError("a fixed clock needs a timezone-aware datetime")
    previous, _fixed = _fixed, moment
    try:
        yield
    finally:
        _fixed = previous
