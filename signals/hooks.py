"""Extension points: functions other parts of the product (alerts, scoring) plug into.

`after_classify(engine, signal_ids)` runs after every classification pass of `signals watch`
with the ids of the signals that pass created. It does nothing by default; a feature that wants
to act on new signals at once (an alert, a score update) registers a listener:

    from signals import hooks

    def alert(engine: Engine, signal_ids: Sequence[int]) -> None: ...

    hooks.on_after_classify(alert)

Listeners run in registration order, in the watcher's process, after the signals are
committed. A listener that raises is logged and skipped: it never stops the watcher or the
other listeners.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)
Listener = Callable[["Engine", Sequence[int]], None]
_listeners: list[Listener] = []


def on_after_classify(listener: Listener) -> Listener:
    """Register a listener for new signals (usable as a decorator)."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def off_after_classify(listener: Listener) -> None:
    """Unregister a listener (a watcher that registered one for its own run, on the way out)."""
    if listener in _listeners:
        _listeners.remove(listener)


def after_classify(engine: Engine, signal_ids: Sequence[int]) -> None:
    """New signals were committed: tell every registered listener (none by default)."""
    if not signal_ids:
        return
    for listener in list(_listeners):
        try:
            listener(engine, signal_ids)
        except Exception:
            log.exception("after_classify listener %r failed", listener)
