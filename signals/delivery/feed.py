"""Turns new people events into webhooks, and new signals and stage changes into alerts.

Webhooks carry the same Segment-spec events as `signals export --format segment`: the rows of
`people_events` (identify, track, group, delete), which the people area writes in the same
transaction as the change that caused them. Alerts are read from `signals` and `stage_changes`.
Each stream is read by id past its own high-water mark, and the queued deliveries commit with
the advanced mark in one transaction per batch: a crash repeats at most one batch, whose
deliveries' keys are taken.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlmodel import col, select

from signals.delivery import alerts, webhook
from signals.delivery.settings import AlertRules
from signals.store import models as db
from signals.store.columns import utcnow
from signals.store.models_delivery import DeliveryCursor
from signals.store.models_people import PeopleEvent

BATCH = 500
# stage_changes as plain rows: the alert code takes mappings, as the digest job stores them.
_NEW_STAGE_CHANGES = text(
    "SELECT id, contact_id, account_id, kind, old, new, reason, occurred_at "
    "FROM stage_changes WHERE id > :after ORDER BY id LIMIT :n"
)


@dataclass
class FeedReport:
    """What one pass queued."""

    signals: int = 0
    stage_changes: int = 0
    webhooks: int = 0
    alerts: int = 0


def collect(engine: Engine, rules: AlertRules, now: datetime | None = None) -> FeedReport:
    """Queue webhook events and alerts for everything new since the last pass."""
    moment = now or utcnow()
    report = FeedReport()
    while _people_batch(engine, moment, report):
        pass
    while _signals_batch(engine, rules, moment, report):
        pass
    while _stage_batch(engine, rules, moment, report):
        pass
    return report


def _cursor(session: Session, name: str) -> DeliveryCursor:
    row = session.get(DeliveryCursor, name)
    if row is None:
        row = DeliveryCursor(name=name, last_id=0)
        session.add(row)
    return row


def _signals_batch(engine: Engine, rules: AlertRules, now: datetime, report: FeedReport) -> bool:
    with Session(engine) as session, session.begin():
        cursor = _cursor(session, "signals")
        ids = list(
            session.scalars(
                select(db.Signal.id)
                .where(col(db.Signal.id) > cursor.last_id)
                .order_by(col(db.Signal.id))
                .limit(BATCH)
            )
        )
        if not ids:
            return False
        facts = alerts.load_signals(session, [i for i in ids if i is not None])
        wanted = [f.alert for f in facts if alerts.is_high_intent(f, rules, now)]
        report.alerts += alerts.route(session, wanted, now)
        report.signals += len(ids)
        cursor.last_id, cursor.updated_at = max(i or 0 for i in ids), now
        return True


def _stage_batch(engine: Engine, rules: AlertRules, now: datetime, report: FeedReport) -> bool:
    with Session(engine) as session, session.begin():
        cursor = _cursor(session, "stage_changes")
        parameters = {"after": cursor.last_id, "n": BATCH}
        rows = [dict(r._mapping) for r in session.execute(_NEW_STAGE_CHANGES, parameters)]
        if not rows:
            return False
        report.alerts += alerts.on_stage_changes(session, rows, rules, now)
        report.stage_changes += len(rows)
        cursor.last_id, cursor.updated_at = max(int(r["id"]) for r in rows), now
        return True


def _people_batch(engine: Engine, now: datetime, report: FeedReport) -> bool:
    with Session(engine) as session, session.begin():
        cursor = _cursor(session, "people_events")
        events = list(
            session.scalars(
                select(PeopleEvent)
                .where(col(PeopleEvent.id) > cursor.last_id)
                .order_by(col(PeopleEvent.id))
                .limit(BATCH)
            )
        )
        if not events:
            return False
        for event in events:
            report.webhooks += webhook.publish(
                session,
                webhook_event_name(event.payload),
                event.message_id,
                event.payload,
                event.contact_id,
                now,
            )
        cursor.last_id, cursor.updated_at = max(e.id or 0 for e in events), now
        return True


_TRACKED = {
    "Buying Signal Detected": "signal.detected",
    "Lifecycle Stage Changed": "stage.changed",
    "Buyer Stage Changed": "stage.changed",
    "Play Triggered": "play.triggered",
}
_TYPED = {"identify": "contact.identified", "group": "account.updated", "delete": "person.deleted"}


def webhook_event_name(payload: dict[str, Any]) -> str:
    """The X-Signals-Event name of a Segment-spec event (what a receiver filters on)."""
    kind = str(payload.get("type", ""))
    if kind == "track":
        return _TRACKED.get(str(payload.get("event", "")), "track")
    return _TYPED.get(kind, kind)
