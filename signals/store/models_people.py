"""Tables of the people area: merges, inferred hints, scores, stages, tasks, events, erasure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from signals.store.columns import UTCDateTime
from signals.store.models import _created, _foreign_key, _json_list, _utc


def _primary_foreign_key(target: str) -> Any:
    return Field(
        sa_column=Column(Integer, ForeignKey(target, ondelete="CASCADE"), primary_key=True)
    )


def _json_dict() -> Any:
    return Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class MergeProposal(SQLModel, table=True):
    """Two contacts that may be one person, waiting for a reviewer (evidence too weak to merge)."""

    __tablename__ = "merge_proposals"
    __table_args__ = (
        UniqueConstraint("contact_id", "other_contact_id", name="uq_merge_proposals_pair"),
    )

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = _foreign_key("contacts.id", "CASCADE", nullable=False)
    other_contact_id: int = _foreign_key("contacts.id", "CASCADE", nullable=False)
    reasons: list[str] = _json_list()
    confidence: float
    status: str = "open"  # open, approved, rejected
    decided_by: str | None = None
    decided_at: datetime | None = _utc()
    created_at: datetime = _created()


class NoMerge(SQLModel, table=True):
    """A pair a reviewer said are different people: never merged or proposed again."""

    __tablename__ = "no_merge"
    __table_args__ = (UniqueConstraint("contact_id", "other_contact_id", name="uq_no_merge_pair"),)

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = _foreign_key("contacts.id", "CASCADE", nullable=False)
    other_contact_id: int = _foreign_key("contacts.id", "CASCADE", nullable=False)
    actor: str
    created_at: datetime = _created()


class MergeLedger(SQLModel, table=True):
    """One merge: what moved from the merged contact to the kept one, so it can be undone."""

    __tablename__ = "merge_ledger"

    id: int | None = Field(default=None, primary_key=True)
    kept_contact_id: int = _foreign_key("contacts.id", "CASCADE", nullable=False)
    merged_contact_id: int = _foreign_key("contacts.id", "CASCADE", nullable=False)
    reasons: list[str] = _json_list()
    actor: str
    identity_ids: list[int] = _json_list()
    activity_ids: list[int] = _json_list()
    merged_at: datetime = _created()
    undone_at: datetime | None = _utc()
    undone_by: str | None = None


class AccountActivity(SQLModel, table=True):
    """A signal that names a company but no person we can tie it to: it counts for the account."""

    __tablename__ = "account_activities"
    __table_args__ = (
        UniqueConstraint("post_id", "account_id", "kind", name="uq_account_activities_post"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = _foreign_key("accounts.id", "CASCADE", nullable=False)
    post_id: int = _foreign_key("posts.id", "CASCADE", nullable=False)
    signal_id: int | None = _foreign_key("signals.id", "CASCADE", nullable=True)
    kind: str
    stage: str | None = None
    intents: list[str] = _json_list()
    weight: float
    reason: str
    occurred_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    created_at: datetime = _created()


class InferredAttribute(SQLModel, table=True):
    """Something a post says about its author's organisation, with the words that say it."""

    __tablename__ = "inferred_attributes"

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int | None = _foreign_key("contacts.id", "CASCADE", nullable=True)
    account_id: int | None = _foreign_key("accounts.id", "CASCADE", nullable=True)
    post_id: int | None = _foreign_key("posts.id", "CASCADE", nullable=True)
    attribute: str  # team_size, company_size, industry, tool_in_use, tool_replaced, role
    value: str
    evidence: str
    confidence: float
    created_at: datetime = _created()


class ContactScore(SQLModel, table=True):
    """A contact's latest score: fit, activity points per kind at `as_of`, band and matrix cell."""

    __tablename__ = "contact_scores"

    contact_id: int = _primary_foreign_key("contacts.id")
    fit_grade: str
    fit_points: float
    points: float
    # Decayed points per activity kind and per product category, both as of `as_of`: a later
    # score is these times each kind's decay, so one new activity is an O(1) update.
    by_kind: dict[str, float] = _json_dict()
    by_category: dict[str, dict[str, float]] = _json_dict()
    band: int
    cell: str
    as_of: datetime = Field(sa_type=UTCDateTime, nullable=False)


class AccountScore(SQLModel, table=True):
    """An account's latest score, from its contacts' scores weighted by committee role."""

    __tablename__ = "account_scores"

    account_id: int = _primary_foreign_key("accounts.id")
    points: float
    band: int
    active_contacts: int
    as_of: datetime = Field(sa_type=UTCDateTime, nullable=False)


class StageChange(SQLModel, table=True):
    """One lifecycle or buyer-stage change of a contact or account; consumers read new ids."""

    __tablename__ = "stage_changes"

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int | None = _foreign_key("contacts.id", "CASCADE", nullable=True)
    account_id: int | None = _foreign_key("accounts.id", "CASCADE", nullable=True)
    kind: str  # lifecycle, buyer
    old: str | None = None
    new: str
    reason: str
    occurred_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    created_at: datetime = _created()


class Task(SQLModel, table=True):
    """Work a nurture play asks for: who, which post, which play, by when."""

    __tablename__ = "tasks"
    __table_args__ = (UniqueConstraint("contact_id", "post_id", "play", name="uq_tasks_play"),)

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int | None = _foreign_key("contacts.id", "CASCADE", nullable=True)
    account_id: int | None = _foreign_key("accounts.id", "CASCADE", nullable=True)
    post_id: int | None = _foreign_key("posts.id", "CASCADE", nullable=True)
    play: str
    action: str  # alert_owner, suggest_reply, nurture_track
    owner: str | None = None
    detail: str = ""
    due_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    status: str = "open"  # open, done, dismissed
    created_at: datetime = _created()


class PeopleEvent(SQLModel, table=True):
    """A Segment-spec event waiting to go out (identify, track, group, delete)."""

    __tablename__ = "people_events"

    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(unique=True)
    type: str
    contact_id: int | None = _foreign_key("contacts.id", "CASCADE", nullable=True)
    payload: dict[str, Any] = _json_dict()
    created_at: datetime = _created()


class ForgottenPerson(SQLModel, table=True):
    """A salted hash of a forgotten identity or e-mail: their posts are never ingested again."""

    __tablename__ = "forgotten_people"

    id: int | None = Field(default=None, primary_key=True)
    digest: str = Field(unique=True)
    created_at: datetime = _created()


class PeopleSecret(SQLModel, table=True):
    """Installation secrets of the people area (the erasure salt), made on first use."""

    __tablename__ = "people_secrets"

    name: str = Field(primary_key=True)
    value: str
