"""Every call from the web app to the people API (signals.people, built by the contacts work).

The API may be missing (before that work is merged): then `available()` is False, the calls that
read return None or empty lists, and the pages say "scoring not available". Records come back
as plain dicts (their `to_dict()`), so templates do not depend on the record classes.
"""

from __future__ import annotations

import importlib
from datetime import datetime, timedelta
from types import ModuleType
from typing import Any

from sqlalchemy import MetaData, Table, inspect
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from signals.errors import SignalsError
from signals.identity import normalise_handle, platform_for
from signals.store import models as db
from signals.store.columns import utcnow

UNAVAILABLE = "scoring not available"


class PeopleUnavailable(SignalsError):
    """The people API is not installed, so this action cannot run."""

    def __init__(self) -> None:
        super().__init__(f"{UNAVAILABLE}: the people API (signals.people) is not installed")


def _api() -> ModuleType | None:
    try:
        return importlib.import_module("signals.people.api")
    except ImportError:
        return None


def available() -> bool:
    """True when signals.people.api can be imported."""
    return _api() is not None


def _required() -> ModuleType:
    api = _api()
    if api is None:
        raise PeopleUnavailable()
    return api


def _plain(record: Any) -> Any:
    if record is None:
        return None
    if hasattr(record, "to_dict"):
        return record.to_dict()
    return record


def contact_card(session: Session, contact_id: int) -> dict[str, Any] | None:
    api = _api()
    return _plain(api.contact_card(session, contact_id)) if api else None


def account_card(session: Session, account_id: int) -> dict[str, Any] | None:
    api = _api()
    return _plain(api.account_card(session, account_id)) if api else None


def explain_contact(session: Session, contact_id: int) -> dict[str, Any] | None:
    api = _api()
    return _plain(api.explain_contact(session, contact_id)) if api else None


def stage_history(session: Session, contact_id: int) -> list[dict[str, Any]]:
    api = _api()
    return [_plain(c) for c in api.stage_history(session, contact_id)] if api else []


def merge_proposals(session: Session, status: str = "open") -> list[dict[str, Any]]:
    api = _api()
    return [_plain(p) for p in api.merge_proposals(session, status=status)] if api else []


def approve_merge(session: Session, proposal_id: int, actor: str) -> None:
    _required().approve_merge(session, proposal_id, actor)


def reject_merge(session: Session, proposal_id: int, actor: str) -> None:
    _required().reject_merge(session, proposal_id, actor)


def forget_person(session: Session, person: str) -> dict[str, Any]:
    return dict(_plain(_required().forget_person(session, person)) or {})


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
    bind = session.get_bind()
    if not inspect(bind).has_table("stage_changes"):
        return []
    changes = Table("stage_changes", MetaData(), autoload_with=bind)
    since: datetime = utcnow() - timedelta(days=days)
    if bind.dialect.name == "sqlite":  # SQLite keeps UTC times without a zone
        since = since.replace(tzinfo=None)
    statement = (
        core_select(changes, col(db.Account.name).label("account_name"))
        .join(db.Account, col(db.Account.id) == changes.c.account_id)
        .where(changes.c.account_id.is_not(None), changes.c.occurred_at >= since)
        .order_by(changes.c.occurred_at.desc())
        .limit(limit)
    )
    return [dict(row._mapping) for row in session.execute(statement)]
