"""Lifecycle (MAL -> MIL -> MQL -> SAL -> SQL -> Won, Recycled) and RESITD buyer stages.

Automatic lifecycle moves cover MAL, MIL and MQL: an upgrade happens at once, a downgrade only
when decay has taken the points away. SAL, SQL, Won and Recycled are set by people
(`signals lifecycle set`). Every change is a `stage_changes` row and a Segment track event.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Final, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from signals.errors import ConfigError
from signals.people.config import ScoringConfig
from signals.store import models as db
from signals.store.models_people import AccountActivity, StageChange

LIFECYCLE = ("MAL", "MIL", "MQL", "SAL", "SQL", "Won", "Recycled")
RESITD = ("recognize", "evaluate", "sample", "integrate", "test", "deploy")
_AUTO = {"MAL": 0, "MIL": 1, "MQL": 2}
# update_contact's default: the buyer stage is read from the activity log.
FROM_LOG: Final = "(from the log)"


def identified(contact: db.Contact) -> bool:
    """Known beyond a handle: an e-mail, or a CRM record (title or owner)."""
    return bool(contact.email or contact.title or contact.owner)


class ScoreLike(Protocol):
    """What stage rules read of a score."""

    @property
    def cell(self) -> str: ...

    @property
    def points(self) -> float: ...


def auto_lifecycle(contact: db.Contact, score: ScoreLike, config: ScoringConfig) -> str:
    """The stage the score alone puts a contact at."""
    if score.cell in config.mql_cells:
        return "MQL"
    return "MIL" if identified(contact) else "MAL"


def record(
    session: Session,
    kind: str,
    old: str | None,
    new: str,
    reason: str,
    at: datetime,
    contact_id: int | None = None,
    account_id: int | None = None,
) -> StageChange:
    """Write one stage change and publish it as a Segment track event."""
    from signals.people import publish, segment

    change = StageChange(
        contact_id=contact_id,
        account_id=account_id,
        kind=kind,
        old=old,
        new=new,
        reason=reason,
        occurred_at=at,
    )
    session.add(change)  # flushed with the rest: a bulk rescore makes thousands of these
    publish.publish(session, [segment.stage_event(change)])
    return change


def update_contact(
    session: Session,
    contact: db.Contact,
    score: ScoreLike,
    at: datetime,
    config: ScoringConfig,
    reason: str,
    buyer: str | None = FROM_LOG,
) -> None:
    """Move a contact's lifecycle and buyer stage to what its score and recent signals say.

    `buyer` is the furthest stage of the contact's recent signals when the caller knows it
    (None: none); by default it is read from the log.
    """
    assert contact.id is not None
    current = contact.lifecycle_stage
    target = auto_lifecycle(contact, score, config)
    new = None
    if current in _AUTO and _AUTO[target] > _AUTO[current]:
        new, why = target, f"{reason}: cell {score.cell}, {score.points:.1f} points"
    elif current in _AUTO and _AUTO[target] < _AUTO[current]:
        new, why = target, f"points decayed to {score.points:.1f} (cell {score.cell})"
    elif current == "Recycled" and target == "MQL":
        new, why = target, f"{reason}: sales-ready again, cell {score.cell}"
    if new is not None:
        contact.lifecycle_stage = new
        record(session, "lifecycle", current, new, why, at, contact_id=contact.id)
    if buyer == FROM_LOG:
        buyer = buyer_stage(session, [contact.id], at, config)
    if buyer is not None and buyer != contact.buyer_stage:
        old = contact.buyer_stage
        contact.buyer_stage = buyer
        record(session, "buyer", old, buyer, "recent signals", at, contact_id=contact.id)


def buyer_stage(
    session: Session, contact_ids: list[int], at: datetime, config: ScoringConfig
) -> str | None:
    """The furthest RESITD stage among these contacts' signals in the window before at."""
    since = at - timedelta(days=config.buyer_window_days)
    statement = (
        select(col(db.Activity.stage))
        .where(col(db.Activity.contact_id).in_(contact_ids))
        .where(col(db.Activity.occurred_at) > since, col(db.Activity.occurred_at) <= at)
        .where(col(db.Activity.stage).is_not(None))
    )
    found = [s for s in session.scalars(statement) if s in RESITD]
    return max(found, key=RESITD.index) if found else None


def update_account(session: Session, account_id: int, at: datetime, config: ScoringConfig) -> None:
    """An account's buyer stage: the furthest among its contacts' recent signals."""
    account = session.get(db.Account, account_id)
    if account is None:
        return
    members = list(
        session.scalars(
            select(col(db.Contact.id)).where(
                col(db.Contact.account_id) == account_id,
                col(db.Contact.merged_into_id).is_(None),
            )
        )
    )
    stage = buyer_stage(session, [m for m in members if m is not None], at, config)
    since = at - timedelta(days=config.buyer_window_days)
    own = session.scalars(
        select(col(AccountActivity.stage))
        .where(col(AccountActivity.account_id) == account_id)
        .where(col(AccountActivity.occurred_at) > since, col(AccountActivity.occurred_at) <= at)
    )
    move_account(session, account, (stage, *own), at)


def move_account(
    session: Session, account: db.Account, found: Iterable[str | None], at: datetime
) -> None:
    """Set an account's buyer stage to the furthest of its recent signals' stages, if it moved."""
    known = [s for s in found if s in RESITD]
    stage = max(known, key=RESITD.index) if known else None
    if stage is not None and stage != account.buyer_stage:
        old, account.buyer_stage = account.buyer_stage, stage
        reason = "contacts' recent signals"
        record(session, "buyer", old, stage, reason, at, account_id=account.id)


def set_lifecycle(
    session: Session, contact_id: int, stage: str, actor: str, at: datetime, reason: str = ""
) -> StageChange | None:
    """A person sets a lifecycle stage (SAL, SQL, Won, Recycled ...); None when unchanged."""
    if stage not in LIFECYCLE:
        raise ConfigError(f"unknown lifecycle stage {stage!r}; use one of {', '.join(LIFECYCLE)}")
    contact = session.get(db.Contact, contact_id)
    if contact is None:
        raise ConfigError(f"no contact {contact_id}; see `signals contacts list`")
    if contact.lifecycle_stage == stage:
        return None
    old, contact.lifecycle_stage = contact.lifecycle_stage, stage
    why = f"set by {actor}" + (f": {reason}" if reason else "")
    return record(session, "lifecycle", old, stage, why, at, contact_id=contact_id)
