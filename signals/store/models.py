"""The tables. Boundary records are frozen dataclasses elsewhere; tables stay in signals/."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, Table, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from signals.store.columns import UTCDateTime, utcnow

# Named constraints let Alembic alter them later, SQLite included (batch mode).
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def table(model: type[SQLModel]) -> Table:
    """The Core table behind a model, for batched statements."""
    return SQLModel.metadata.tables[str(model.__tablename__)]


def _utc(index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=True, index=index)


def _created() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def _json_list() -> Any:
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False))


def _foreign_key(target: str, ondelete: str, nullable: bool, index: bool = True) -> Any:
    return Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey(target, ondelete=ondelete), nullable=nullable, index=index
        ),
    )


class Source(SQLModel, table=True):
    """A configured source: its settings, crawl cursor and health."""

    __tablename__ = "sources"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    kind: str
    settings: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    enabled: bool = True
    cursor_etag: str | None = None
    cursor_last_modified: str | None = None
    cursor_position: str | None = None
    last_fetch_at: datetime | None = _utc()
    last_success_at: datetime | None = _utc()
    last_error_at: datetime | None = _utc()
    last_error: str | None = None
    consecutive_failures: int = 0
    created_at: datetime = _created()


class Post(SQLModel, table=True):
    """One post, comment or reply, once per source and external id."""

    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("source_id", "external_id", name="uq_posts_source_external"),
        Index(
            "ix_posts_unclassified",
            "id",
            sqlite_where=text("classified_at IS NULL"),
            postgresql_where=text("classified_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = _foreign_key("sources.id", "CASCADE", nullable=False, index=False)
    external_id: str
    url: str | None = None
    thread_url: str | None = None
    parent_external_id: str | None = None
    parent_id: int | None = _foreign_key("posts.id", "SET NULL", nullable=True)
    author: str | None = Field(default=None, index=True)
    author_url: str | None = None
    title: str | None = None
    text: str
    published_at: datetime | None = _utc(index=True)
    community: str | None = None
    fetched_at: datetime = _created()
    classified_at: datetime | None = _utc()
    rechecked_at: datetime | None = _utc()  # last asked the source whether it still exists
    deleted_at: datetime | None = _utc()  # deleted at the source: text and author erased


class Signal(SQLModel, table=True):
    """A post's classification as a buying signal, with its evidence and model version."""

    __tablename__ = "signals"
    __table_args__ = (UniqueConstraint("post_id", "model_version", name="uq_signals_post_model"),)

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = _foreign_key("posts.id", "CASCADE", nullable=False, index=False)
    is_signal: bool
    confidence: float
    stage: str | None = Field(default=None, index=True)
    intents: list[str] = _json_list()
    products: list[str] = _json_list()
    evidence: list[dict[str, Any]] = _json_list()
    model_version: str
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class Account(SQLModel, table=True):
    """A company, known by its domain when we have one."""

    __tablename__ = "accounts"

    id: int | None = Field(default=None, primary_key=True)
    name: str
    domain: str | None = Field(default=None, unique=True)
    industry: str | None = None
    employees: int | None = None
    region: str | None = None
    buyer_stage: str | None = None
    created_at: datetime = _created()


class Contact(SQLModel, table=True):
    """A person, possibly known through several identities."""

    __tablename__ = "contacts"

    id: int | None = Field(default=None, primary_key=True)
    display_name: str
    email: str | None = Field(default=None, index=True)
    account_id: int | None = _foreign_key("accounts.id", "SET NULL", nullable=True)
    title: str | None = None
    committee_role: str | None = None
    owner: str | None = None
    region: str | None = None
    website: str | None = None
    lifecycle_stage: str = "MAL"
    buyer_stage: str | None = None
    # Set while merged into another contact; the ledger can undo it (signals contacts unmerge).
    merged_into_id: int | None = _foreign_key("contacts.id", "SET NULL", nullable=True)
    created_at: datetime = _created()
    updated_at: datetime = _created()


class Identity(SQLModel, table=True):
    """One handle on one platform; belongs to exactly one contact."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("platform", "handle", name="uq_identities_platform_handle"),)

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = _foreign_key("contacts.id", "CASCADE", nullable=False)
    platform: str
    handle: str
    profile_url: str | None = None
    verified: bool = False
    created_at: datetime = _created()


class Activity(SQLModel, table=True):
    """Something a contact did that counts for scoring: typed, weighted, timestamped."""

    __tablename__ = "activities"
    __table_args__ = (
        UniqueConstraint("post_id", "contact_id", "kind", name="uq_activities_post_contact_kind"),
        Index("ix_activities_contact_occurred", "contact_id", "occurred_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = _foreign_key("contacts.id", "CASCADE", nullable=False, index=False)
    identity_id: int | None = _foreign_key("identities.id", "SET NULL", nullable=True)
    post_id: int = _foreign_key("posts.id", "CASCADE", nullable=False)
    signal_id: int | None = _foreign_key("signals.id", "CASCADE", nullable=True)
    kind: str
    stage: str | None = None
    intents: list[str] = _json_list()
    weight: float
    occurred_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    created_at: datetime = _created()


# Each area's tables live in its own module; importing them here registers them on the metadata.
from signals.store import models_delivery, models_people, models_web  # noqa: E402,F401
