"""Segment-spec events (identify, track, group, delete) for contacts, activities and accounts.

Every event has the spec's common fields: type, messageId, timestamp, and userId or
anonymousId. messageIds are derived from what the event is about (a UUID5), so one fact always
yields the same id: receivers and the outbox use it as the idempotency key.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from signals import __version__
from signals.store import models as db
from signals.store.models_people import AccountScore, ContactScore, StageChange

_NAMESPACE = uuid.UUID("5f1d4b2e-8c7a-4e55-9a39-2b6f0d1c7e10")
LIBRARY = {"name": "buying-signals", "version": __version__}


def message_id(*key: object) -> str:
    """A stable id for the event about key."""
    return str(uuid.uuid5(_NAMESPACE, "/".join(str(k) for k in key)))


def user_id(contact_id: int) -> str:
    return f"contact-{contact_id}"


def group_id(account_id: int) -> str:
    return f"account-{account_id}"


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def base(
    kind: str, key: tuple[object, ...], at: datetime, contact_id: int | None
) -> dict[str, Any]:
    """The common fields of every event; `_contact_id` is ours and never sent."""
    event: dict[str, Any] = {
        "type": kind,
        "messageId": message_id(kind, *key),
        "timestamp": _iso(at),
        "context": {"library": LIBRARY},
        "_contact_id": contact_id,
    }
    return event


def identify(
    contact: db.Contact, score: ContactScore | None, account: db.Account | None, at: datetime
) -> dict[str, Any]:
    """The contact's traits: who they are, stage, matrix cell and scores."""
    assert contact.id is not None
    event = base("identify", ("contact", contact.id, _iso(at)), at, contact.id)
    event["userId"] = user_id(contact.id)
    traits: dict[str, Any] = {
        "name": contact.display_name,
        "title": contact.title,
        "lifecycle_stage": contact.lifecycle_stage,
        "buyer_stage": contact.buyer_stage,
    }
    if contact.email:
        traits["email"] = contact.email
    if score is not None:
        traits.update(
            fit_grade=score.fit_grade,
            activity_band=score.band,
            matrix_cell=score.cell,
            activity_score=round(score.points, 3),
            fit_score=score.fit_points,
            category_scores={c: round(sum(k.values()), 3) for c, k in score.by_category.items()},
        )
    if account is not None:
        traits["company"] = {
            "id": group_id(account.id or 0),
            "name": account.name,
            "domain": account.domain,
        }
        event["context"]["groupId"] = group_id(account.id or 0)
    event["traits"] = traits
    return event


def track(
    activity: db.Activity,
    post: db.Post | None,
    score: ContactScore | None,
    contact: db.Contact | None,
    quote: str | None,
) -> dict[str, Any]:
    """One buying-signal activity, with its evidence URL, stage, matrix cell and score."""
    assert activity.id is not None
    event = base("track", ("activity", activity.id), activity.occurred_at, activity.contact_id)
    event["userId"] = user_id(activity.contact_id)
    event["event"] = "Buying Signal Detected"
    properties: dict[str, Any] = {
        "activity_id": activity.id,
        "kind": activity.kind,
        "intents": list(activity.intents),
        "buyer_stage": activity.stage,
        "weight": round(activity.weight, 3),
        "url": post.url if post else None,
        "quote": quote,
    }
    if contact is not None:
        properties["lifecycle_stage"] = contact.lifecycle_stage
    if score is not None:
        properties.update(
            matrix_cell=score.cell, activity_score=round(score.points, 3), fit_grade=score.fit_grade
        )
    event["properties"] = properties
    return event


def group(
    account: db.Account, score: AccountScore | None, contact_id: int, at: datetime
) -> dict[str, Any]:
    """A contact's account: name, domain, account score, band and buyer stage."""
    assert account.id is not None
    event = base("group", ("account", account.id, contact_id, _iso(at)), at, contact_id)
    event["userId"] = user_id(contact_id)
    event["groupId"] = group_id(account.id)
    traits: dict[str, Any] = {
        "name": account.name,
        "domain": account.domain,
        "buyer_stage": account.buyer_stage,
    }
    if score is not None:
        traits.update(
            account_score=round(score.points, 3),
            account_band=score.band,
            active_contacts=score.active_contacts,
        )
    event["traits"] = traits
    return event


def stage_event(change: StageChange) -> dict[str, Any]:
    """A lifecycle or buyer-stage change, as a track event of the contact (or the account)."""
    # Keyed by what changed and when (not the row id, which may not exist yet): one change,
    # one messageId, however often it is exported.
    key = (
        "stage",
        change.kind,
        change.contact_id,
        change.account_id,
        change.old,
        change.new,
        _iso(change.occurred_at),
    )
    event = base("track", key, change.occurred_at, change.contact_id)
    if change.contact_id is not None:
        event["userId"] = user_id(change.contact_id)
    else:
        event["anonymousId"] = group_id(change.account_id or 0)
        event["context"]["groupId"] = group_id(change.account_id or 0)
    event["event"] = (
        "Lifecycle Stage Changed" if change.kind == "lifecycle" else "Buyer Stage Changed"
    )
    event["properties"] = {
        "from": change.old,
        "to": change.new,
        "reason": change.reason,
    }
    return event


def delete(contact_id: int, at: datetime) -> dict[str, Any]:
    """Tells receivers to erase a forgotten person; carries nothing but the opaque userId."""
    event = base("delete", ("delete", contact_id), at, None)
    event["userId"] = user_id(contact_id)
    return event
