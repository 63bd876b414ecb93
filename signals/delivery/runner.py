"""One delivery pass: sync subscribers, queue new events and due digests, drain the outbox."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from signals.delivery import alerts, feed, outbox
from signals.delivery.records import Mailer
from signals.delivery.settings import DeliverySettings
from signals.store.columns import utcnow

if TYPE_CHECKING:
    from sources import HttpClient


@dataclass
class PassReport:
    """What one pass queued and sent."""

    feed: feed.FeedReport
    digests: int
    outbox: outbox.DeliveryReport


def run_once(
    engine: Engine,
    http: HttpClient,
    settings: DeliverySettings,
    now: datetime | None = None,
    *,
    mailer: Mailer | None = None,
    rng: random.Random | None = None,
) -> PassReport:
    """Queue what is new, fold due digests, then send everything due."""
    moment = now or utcnow()
    with Session(engine) as session, session.begin():
        alerts.sync_subscriptions(session, settings.alerts)
    queued = feed.collect(engine, settings.alerts, moment)
    with Session(engine) as session, session.begin():
        digests = alerts.run_digests(session, moment)
    sent = outbox.deliver_due(engine, http, now, settings=settings, mailer=mailer, rng=rng)
    return PassReport(queued, digests, sent)


def run_loop(
    engine: Engine,
    http: HttpClient,
    settings: DeliverySettings,
    on_pass: Callable[[PassReport], None],
    passes: int | None = None,
) -> None:
    """Run passes every outbox.poll_seconds until interrupted (or `passes` have run)."""
    done = 0
    while passes is None or done < passes:
        started = time.monotonic()
        on_pass(run_once(engine, http, settings))
        done += 1
        if passes is None or done < passes:
            time.sleep(max(0.0, settings.outbox.poll_seconds - (time.monotonic() - started)))
