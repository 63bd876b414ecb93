"""Alerts: high-intent signals and stage changes queued for Slack and e-mail, now or as digests.

`on_new_signals` and `on_stage_changes` choose what is worth an alert (rules from the
`[alerts]` table of delivery.toml) and route it to every enabled subscription: an outbox
delivery for "immediate" subscribers, a digest item for "digest" ones. `run_digests` folds a
subscriber's waiting items into one message once their interval has passed. Nothing here
commits: the caller commits the alerts together with whatever produced them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session
from sqlmodel import col, select

from signals.delivery import outbox
from signals.delivery.messages import Alert, email_payload, quote_around, slack_payload
from signals.delivery.settings import CHANNELS, MODES, AlertRules
from signals.errors import ConfigError
from signals.store import models as db
from signals.store.bulk import insert_ignoring_duplicates
from signals.store.columns import utcnow
from signals.store.models import table
from signals.store.models_delivery import AlertSubscription, DigestItem

MAX_EVIDENCE = 5


@dataclass(frozen=True)
class SignalFacts:
    """A signal with what an alert and a webhook event say about it."""

    alert: Alert
    is_signal: bool
    posted_at: datetime
    products: tuple[str, ...]


def sync_subscriptions(session: Session, rules: AlertRules) -> None:
    """Make the configured recipients subscriptions; drop configured ones no longer listed."""
    existing = {(s.channel, s.target): s for s in session.scalars(select(AlertSubscription))}
    wanted = {(r.channel, r.target): r for r in rules.recipients}
    for key, recipient in wanted.items():
        row = existing.get(key)
        if row is None:
            row = AlertSubscription(channel=recipient.channel, target=recipient.target)
            row.from_config = True
            session.add(row)
        if row.from_config:
            row.mode, row.digest_minutes = recipient.mode, recipient.digest_minutes
    for key, row in existing.items():
        if row.from_config and key not in wanted:
            session.delete(row)
    session.flush()


def subscribe(
    session: Session,
    channel: str,
    target: str,
    mode: str = "immediate",
    user_id: int | None = None,
    digest_minutes: int = 60,
) -> AlertSubscription:
    """Add or change one person's subscription (web app, per user); the caller commits."""
    if channel not in CHANNELS:
        raise ConfigError(f"unknown alert channel {channel!r}; use slack or email")
    if mode not in MODES:
        raise ConfigError(f"unknown alert mode {mode!r}; use immediate or digest")
    if channel == "email" and "@" not in target:
        raise ConfigError(f"{target!r} is not an e-mail address")
    if channel == "slack" and not target.startswith(("https://", "http://")):
        raise ConfigError("a Slack subscription needs the incoming-webhook URL as its target")
    if digest_minutes < 1:
        raise ConfigError("digest_minutes must be 1 or more")
    row = session.scalars(
        select(AlertSubscription)
        .where(AlertSubscription.channel == channel)
        .where(AlertSubscription.target == target)
    ).first()
    if row is None:
        row = AlertSubscription(channel=channel, target=target)
        session.add(row)
    row.mode, row.user_id, row.digest_minutes = mode, user_id, digest_minutes
    row.enabled, row.from_config = True, False  # the person owns it now, not the file
    session.flush()
    return row


def load_signals(session: Session, signal_ids: Iterable[int]) -> list[SignalFacts]:
    """The signals with their post, source, contact and account, in id order."""
    ids = sorted(set(signal_ids))
    if not ids:
        return []
    statement = (
        select(db.Signal, db.Post, db.Source.name, db.Activity.contact_id)
        .join(db.Post, col(db.Post.id) == db.Signal.post_id)
        .join(db.Source, col(db.Source.id) == db.Post.source_id)
        .outerjoin(db.Activity, col(db.Activity.signal_id) == db.Signal.id)
        .where(col(db.Signal.id).in_(ids))
        .order_by(col(db.Signal.id))
    )
    rows: dict[int, tuple[db.Signal, db.Post, str, int | None]] = {}
    for signal, post, source_name, contact_id in session.execute(statement):
        rows.setdefault(signal.id or 0, (signal, post, source_name, contact_id))
    people = _people(session, {c for *_, c in rows.values() if c is not None})
    return [_facts(*row, people) for row in rows.values()]


def _people(session: Session, contact_ids: set[int]) -> dict[int, tuple[str, str | None]]:
    if not contact_ids:
        return {}
    statement = (
        select(db.Contact.id, db.Contact.display_name, db.Account.name)
        .outerjoin(db.Account, col(db.Account.id) == db.Contact.account_id)
        .where(col(db.Contact.id).in_(contact_ids))
    )
    return {cid: (name, account) for cid, name, account in session.execute(statement) if cid}


def _facts(
    signal: db.Signal,
    post: db.Post,
    source_name: str,
    contact_id: int | None,
    people: Mapping[int, tuple[str, str | None]],
) -> SignalFacts:
    who, account = people.get(contact_id or 0, (post.author or "an anonymous author", None))
    in_text = [e for e in signal.evidence if e.get("field", "text") == "text"]
    first = in_text[0] if in_text else {}
    quote = quote_around(post.text, first.get("start"), first.get("end"))
    evidence = tuple(dict.fromkeys(str(e["text"]) for e in signal.evidence if e.get("text")))
    posted_at = post.published_at or post.fetched_at
    alert = Alert(
        key=f"signal:{signal.id}",
        kind="signal",
        who=who,
        account=account,
        contact_id=contact_id,
        headline=", ".join([*signal.intents, signal.stage or ""]).strip(", ") or "buying signal",
        quote=(f"{post.title}: {quote}" if post.title else quote),
        evidence=evidence[:MAX_EVIDENCE],
        url=post.url or post.thread_url,
        where=post.community or source_name,
        stage=signal.stage,
        intents=tuple(signal.intents),
        confidence=round(signal.confidence, 3),
        occurred_at=posted_at.astimezone(UTC).isoformat(),
        extra={"signal_id": signal.id, "post_id": post.id, "source": source_name},
    )
    return SignalFacts(alert, signal.is_signal, posted_at, tuple(signal.products))


def is_high_intent(facts: SignalFacts, rules: AlertRules, now: datetime) -> bool:
    """Whether a signal passes the alert rules: intents, stages, confidence and age."""
    alert = facts.alert
    if not facts.is_signal or (alert.confidence or 0.0) < rules.min_confidence:
        return False
    if rules.intents and not set(alert.intents) & set(rules.intents):
        return False
    if rules.stages and alert.stage not in rules.stages:
        return False
    # A backlog crawled for the first time is not news: alerts are for speed to lead.
    return now - facts.posted_at <= timedelta(hours=rules.max_age_hours)


def on_new_signals(
    session: Session,
    signal_ids: Sequence[int],
    rules: AlertRules | None = None,
    now: datetime | None = None,
) -> int:
    """Queue alerts for the high-intent ones among signal_ids; returns how many were queued."""
    rules, moment = rules or AlertRules(), now or utcnow()
    facts = load_signals(session, signal_ids)
    return route(session, [f.alert for f in facts if is_high_intent(f, rules, moment)], moment)


def on_stage_changes(
    session: Session,
    rows: Iterable[Any],
    rules: AlertRules | None = None,
    now: datetime | None = None,
) -> int:
    """Queue alerts for stage_changes rows (objects or mappings); returns how many were queued."""
    rules, moment = rules or AlertRules(), now or utcnow()
    alerts = [
        stage_change_alert(session, row)
        for row in rows
        if _get(row, "kind") in rules.stage_change_kinds
    ]
    return route(session, alerts, moment)


def _get(row: Any, name: str) -> Any:
    return row.get(name) if isinstance(row, Mapping) else getattr(row, name, None)


def stage_change_alert(session: Session, row: Any) -> Alert:
    """The alert for one stage_changes row: a contact's or an account's stage moved."""
    contact_id, account_id = _get(row, "contact_id"), _get(row, "account_id")
    who, account = "an account", None
    if contact_id is not None:
        who, account = _people(session, {contact_id}).get(
            contact_id, (f"contact {contact_id}", None)
        )
    elif account_id is not None:
        found = session.get(db.Account, account_id)
        who = found.name if found else f"account {account_id}"
    at = _get(row, "occurred_at")
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    if isinstance(at, datetime) and at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    kind, old, new = _get(row, "kind"), _get(row, "old"), _get(row, "new")
    return Alert(
        key=f"stage_change:{_get(row, 'id')}",
        kind="stage_change",
        who=who,
        account=account,
        contact_id=contact_id,
        headline=f"{kind} stage {old or '(none)'} -> {new}",
        quote=_get(row, "reason"),
        stage=new if kind == "buyer" else None,
        occurred_at=at.isoformat() if isinstance(at, datetime) else None,
        extra={"kind": kind, "old": old, "new": new, "account_id": account_id},
    )


def route(session: Session, alerts: Sequence[Alert], now: datetime) -> int:
    """Send each alert to every enabled subscription: queued now, or kept for the digest."""
    if not alerts:
        return 0
    subscriptions = list(
        session.scalars(
            select(AlertSubscription)
            .where(col(AlertSubscription.enabled))
            .order_by(col(AlertSubscription.id))
        )
    )
    queued = 0
    for alert in alerts:
        for sub in subscriptions:
            if sub.mode == "digest":
                item = {
                    "subscription_id": sub.id,
                    "contact_id": alert.contact_id,
                    "event_key": alert.key,
                    "alert": alert.to_dict(),
                    "created_at": now,
                }
                unique = ("subscription_id", "event_key")
                inserted = insert_ignoring_duplicates(
                    session, table(DigestItem), [item], unique, returning=("id",)
                )
                queued += len(inserted)
                continue
            render = slack_payload if sub.channel == "slack" else email_payload
            key = f"alert:{alert.key}:{sub.id}"
            payload = render([alert], False)
            queued += outbox.enqueue(
                session, sub.channel, sub.target, key, payload, alert.contact_id, now=now
            )
    return queued


def run_digests(session: Session, now: datetime | None = None) -> int:
    """Fold each due subscriber's waiting alerts into one message; returns digests queued."""
    moment = now or utcnow()
    queued = 0
    subscriptions = session.scalars(
        select(AlertSubscription).where(AlertSubscription.mode == "digest")
    )
    for sub in list(subscriptions):
        items = list(
            session.scalars(
                select(DigestItem)
                .where(DigestItem.subscription_id == sub.id)
                .order_by(col(DigestItem.id))
            )
        )
        if not items or not sub.enabled:
            continue
        since = sub.last_digest_at or items[0].created_at
        if moment < since + timedelta(minutes=sub.digest_minutes):
            continue
        alerts = [Alert.from_dict(item.alert) for item in items]
        render = slack_payload if sub.channel == "slack" else email_payload
        contacts = {item.contact_id for item in items}
        # One person's digest can be erased with them; a mixed one names no single contact.
        contact_id = contacts.pop() if len(contacts) == 1 else None
        key = f"digest:{sub.id}:{items[0].id}-{items[-1].id}"
        outbox.enqueue(
            session, sub.channel, sub.target, key, render(alerts, True), contact_id, now=moment
        )
        session.execute(delete(DigestItem).where(col(DigestItem.id).in_([i.id for i in items])))
        sub.last_digest_at = moment
        queued += 1
    return queued
