"""`signals watch` sends webhooks and alerts for new signals at once (speed to lead)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from signals import hooks

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from signals.app import AppContext
    from sources import HttpClient


def deliver_new_signals(context: AppContext, http: HttpClient) -> hooks.Listener:
    """Register a listener that runs one delivery pass after each pass that made signals.

    The settings are read now, so a broken delivery.toml stops the watcher before its first
    crawl with a one-line error; a pass that fails later is one warning line and the watcher
    goes on (the outbox keeps what was not sent for the next pass or `signals deliver`).
    """
    from signals.delivery import runner
    from signals.delivery.settings import load_delivery_settings

    settings = load_delivery_settings(context.settings.directory)

    def deliver(engine: Engine, signal_ids: Sequence[int]) -> None:
        try:
            report = runner.run_once(engine, http, settings)
        except Exception as exc:  # delivery must never stop the crawl
            # One line: database errors carry the SQL and a help link on the lines after.
            first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            print(f"warning: delivery failed: {first_line}", file=sys.stderr, flush=True)
            return
        queued, sent = report.feed, report.outbox
        if queued.webhooks or queued.alerts or sent.delivered or sent.retrying or sent.failed:
            print(
                f"delivered {sent.delivered} ({queued.webhooks} webhook event(s), "
                f"{queued.alerts} alert(s) queued); retrying {sent.retrying}, "
                f"failed {sent.failed}",
                file=sys.stderr,
                flush=True,
            )
        for error in sent.errors[:3]:
            print(f"warning: {error}", file=sys.stderr, flush=True)

    return hooks.on_after_classify(deliver)
