"""Turns new signals and stage changes into webhook events and alerts, each exactly once.

It reads `signals` and (once the contacts area has created it) `stage_changes` by id past its
own high-water marks, and commits the queued deliveries with the advanced mark in one
transaction per batch: a crash repeats at most one batch, whose deliveries' keys are taken.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlmodel import col, select

from signals.delivery import alerts, webhook
from signals.delivery.messages import Alert
from signals.delivery.settings import AlertRules
from signals.store import models as db
from signals.store.columns import utcnow
from signals.store.models_delivery import DeliveryCursor

BATCH = 500
# The contacts area owns stage_changes; read it by its documented columns, not its model.
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
    while _signals_batch(engine, rules, moment, report):
        pass
    if inspect(engine).has_table("stage_changes"):
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
        for fact in facts:
            if fact.is_signal:
                report.webhooks += webhook.publish(
                    session,
                    "signal.detected",
                    fact.alert.key,
                    segment_track(fact.alert, "Buying Signal Detected", now, fact.products),
                    fact.alert.contact_id,
                    now,
                )
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
        for row in rows:
            alert = alerts.stage_change_alert(session, row)
            report.webhooks += webhook.publish(
                session,
                "stage.changed",
                alert.key,
                segment_track(alert, "Stage Changed", now),
                alert.contact_id,
                now,
            )
        report.alerts += alerts.on_stage_changes(session, rows, rules, now)
        report.stage_changes += len(rows)
        cursor.last_id, cursor.updated_at = max(int(r["id"]) for r in rows), now
        return True


def segment_track(
    alert: Alert, event: str, now: datetime, products: Sequence[str] = ()
) -> dict[str, Any]:
    """A Segment-spec `track` event for a webhook: who, what, where, stage and evidence."""
    properties: dict[str, Any] = {
        "stage": alert.stage,
        "intents": list(alert.intents),
        "products": list(products),
        "confidence": alert.confidence,
        "url": alert.url,
        "quote": alert.quote,
        "evidence": list(alert.evidence),
        "where": alert.where,
        **alert.extra,
    }
    identity: dict[str, Any] = (
        {"userId": str(alert.contact_id)}
        if alert.contact_id is not None
        else {"anonymousId": f"{alert.kind}:{alert.who}"}
    )
    return {
        "type": "track",
        "event": event,
        **identity,
        "messageId": alert.key,
        "timestamp": alert.occurred_at or now.isoformat(),
        "properties": properties,
        "context": {"library": {"name": "buying-signals"}},
    }
