"""The outbox: deliveries are queued in the store and sent later, with retries and backoff.

A delivery is committed with whatever produced it, so a receiver being down loses nothing.
`deliver_due` claims one due row at a time (FOR UPDATE SKIP LOCKED on PostgreSQL, so several
workers never send the same row), sends it while holding the claim and commits its outcome
before the next row: a crash resends at most the one in flight, and receivers drop that
duplicate by its Idempotency-Key.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlmodel import col, select

from signals.delivery.records import Channel, Mailer, Outcome, SendContext
from signals.delivery.settings import DeliverySettings, OutboxSettings
from signals.store.bulk import insert_ignoring_duplicates
from signals.store.columns import utcnow
from signals.store.models import table
from signals.store.models_delivery import Delivery

if TYPE_CHECKING:
    from sources import HttpClient

log = logging.getLogger(__name__)
CHANNELS = ("webhook", "slack", "email")
MAX_ERROR_LENGTH = 500


@dataclass
class DeliveryReport:
    """What one pass over the outbox did."""

    attempted: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    paused: int = 0
    errors: list[str] = field(default_factory=list)


def enqueue(
    session: Session,
    channel: str,
    target: str,
    idempotency_key: str,
    payload: dict[str, Any],
    contact_id: int | None = None,
    *,
    status: str = "pending",
    now: datetime | None = None,
) -> bool:
    """Queue a delivery (the caller commits); False when its key is already queued."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown delivery channel {channel!r}; known: {', '.join(CHANNELS)}")
    moment = now or utcnow()
    row = {
        "channel": channel,
        "target": target,
        "idempotency_key": idempotency_key,
        "payload": payload,
        "contact_id": contact_id,
        "status": status,
        "attempts": 0,
        "next_attempt_at": moment,
        "created_at": moment,
    }
    inserted = insert_ignoring_duplicates(
        session, table(Delivery), [row], ("idempotency_key",), returning=("id",)
    )
    return bool(inserted)


def backoff(attempts: int, settings: OutboxSettings, rng: random.Random) -> timedelta:
    """Exponential backoff with jitter: half the capped delay fixed, the other half random."""
    delay = min(settings.backoff_max_seconds, settings.backoff_base_seconds * 2 ** (attempts - 1))
    # The random half spreads retries of many rows failing together (a receiver restart).
    return timedelta(seconds=delay / 2 + rng.uniform(0, delay / 2))


def deliver_due(
    engine: Engine,
    http_client: HttpClient,
    now: datetime | None = None,
    *,
    settings: DeliverySettings | None = None,
    mailer: Mailer | None = None,
    rng: random.Random | None = None,
) -> DeliveryReport:
    """Send every pending delivery due at now, one committed row at a time.

    With now given (tests, an injected clock) the whole pass runs at that instant; without it
    each row is claimed, signed and rescheduled at the current time.
    """
    context = SendContext(
        http=http_client,
        settings=settings or DeliverySettings(),
        now=now or utcnow(),
        mailer=mailer,
        rng=rng or random.Random(),
    )
    report = DeliveryReport()
    seen: set[int] = set()
    while True:
        if now is None:
            # A long pass must still sign with the time of sending, not of starting.
            context.now = utcnow()
        with Session(engine) as session, session.begin():
            row = _claim_next(session, context.now)
            # Every outcome moves a row out of "due"; the set only guards against a loop.
            if row is None or row.id in seen:
                return report
            assert row.id is not None
            seen.add(row.id)
            _attempt(context, session, row, report)


def _claim_next(session: Session, now: datetime) -> Delivery | None:
    statement = (
        select(Delivery)
        .where(Delivery.status == "pending")
        .where(col(Delivery.next_attempt_at) <= now)
        .order_by(col(Delivery.next_attempt_at), col(Delivery.id))
        .limit(1)
    )
    # SQLite has one writer at a time; PostgreSQL workers skip rows another one holds.
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    return session.scalars(statement).first()


def _attempt(
    context: SendContext, session: Session, row: Delivery, report: DeliveryReport
) -> Outcome:
    try:
        outcome = _channel(row.channel)(context, session, row)
    except Exception as exc:  # a channel bug must fail this row, not the whole pass
        log.exception("delivery %s failed unexpectedly", row.id)
        outcome = Outcome("retry", f"internal error: {type(exc).__name__}: {exc}")
    _apply(context, row, outcome, report)
    return outcome


def _apply(context: SendContext, row: Delivery, outcome: Outcome, report: DeliveryReport) -> None:
    if outcome.counts_as_attempt:
        report.attempted += 1
        row.attempts += 1
    row.last_error = outcome.error[:MAX_ERROR_LENGTH] if outcome.error else None
    if outcome.status == "delivered":
        row.status, row.delivered_at = "delivered", context.now
        report.delivered += 1
        return
    if outcome.error:
        report.errors.append(f"{row.channel} {_shown_target(row)}: {outcome.error}")
    outbox = context.settings.outbox
    if outcome.status == "paused":
        row.status = "paused"
        report.paused += 1
    elif outcome.status == "failed" or row.attempts >= outbox.max_attempts:
        row.status = "failed"
        report.failed += 1
    else:
        row.next_attempt_at = context.now + backoff(row.attempts, outbox, context.rng)
        report.retrying += 1


def _shown_target(row: Delivery) -> str:
    # A Slack incoming-webhook URL is a credential: reports name its host only.
    if row.channel == "slack":
        return urlsplit(row.target).hostname or "a Slack webhook"
    return row.target


def _channel(name: str) -> Channel:
    from signals.delivery import channels, webhook

    senders: dict[str, Channel] = {
        "webhook": webhook.send,
        "slack": channels.send_slack,
        "email": channels.send_email,
    }
    sender = senders.get(name)
    if sender is None:
        return _unknown_channel
    return sender


def _unknown_channel(context: SendContext, session: Session, row: Delivery) -> Outcome:
    return Outcome("failed", f"unknown channel {row.channel!r}; known: {', '.join(CHANNELS)}")


__all__ = ["DeliveryReport", "backoff", "deliver_due", "enqueue"]
