"""Every call from the web app to the people API (signals.people), in one place.

Records come back as plain dicts (their `to_dict()`), so templates do not depend on the record
classes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from signals.identity import normalise_handle, platform_for
from signals.people import api
from signals.store import models as db
from signals.store.columns import utcnow
from signals.store.models import table
from signals.store.models_people import StageChange


def _plain(record: Any) -> dict[str, Any] | None:
    """A record as the dict templates read (records have `to_dict()`)."""
    if record is None:
        return None
    plain: dict[str, Any] = record.to_dict()
    return plain


def contact_card(session: Session, contact_id: int) -> dict[str, Any] | None:
    return _plain(api.contact_card(session, contact_id))


def account_card(session: Session, account_id: int) -> dict[str, Any] | None:
    return _plain(api.account_card(session, account_id))


def explain_contact(session: Session, contact_id: int) -> dict[str, Any] | None:
    return _plain(api.explain_contact(session, contact_id))


def stage_history(session: Session, contact_id: int) -> list[dict[str, Any]]:
    return [c.to_dict() for c in api.stage_history(session, contact_id)]


def merge_proposals(session: Session, status: str = "open") -> list[dict[str, Any]]:
    return [p.to_dict() for p in api.merge_proposals(session, status=status)]


def approve_merge(session: Session, proposal_id: int, actor: str) -> None:
    api.approve_merge(session, proposal_id, actor)


def reject_merge(session: Session, proposal_id: int, actor: str) -> None:
    api.reject_merge(session, proposal_id, actor)


def forget_person(session: Session, person: str) -> dict[str, Any]:
    return api.forget_person(session, person).to_dict()


def contact_for_author(session: Session, post: db.Post, source_kind: str) -> int | None:
    """The contact behind a post's author, through the identities table."""
    if not post.author:
        return None
    platform = platform_for(post.url, source_kind)
    handle = normalise_handle(platform, post.author)
    return session.exec(
        select(db.Identity.contact_id).where(
            db.Identity.platform == platform, db.Identity.handle == handle
        )
    ).first()


def stage_moves_since(session: Session, days: int = 7, limit: int = 50) -> list[dict[str, Any]]:
    """Account stage changes of the last days, newest first, from the stage_changes table."""
    changes = table(StageChange)
    since: datetime = utcnow() - timedelta(days=days)
    statement = (
        core_select(changes, col(db.Account.name).label("account_name"))
        .join(db.Account, col(db.Account.id) == changes.c.account_id)
        .where(changes.c.account_id.is_not(None), changes.c.occurred_at >= since)
        .order_by(changes.c.occurred_at.desc())
        .limit(limit)
    )
    return [dict(row._mapping) for row in session.execute(statement)]
