"""Tables of the web app: users and their sessions, review decisions, response tasks, spam marks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from signals.store.columns import UTCDateTime, utcnow
from signals.store.models import Signal, _created, _foreign_key, _json_list, _utc, table

ROLES = ("admin", "marketer", "community-manager")
DECISIONS = ("accept", "reject", "relabel", "spam")
TASK_STATUSES = ("new", "claimed", "responded", "skipped")


class User(SQLModel, table=True):
    """A local user of the web app with one role; the password is kept as an argon2 hash only."""

    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    role: str
    password_hash: str
    disabled: bool = False
    created_at: datetime = _created()


class WebSession(SQLModel, table=True):
    """A logged-in browser: the hash of its cookie token and its CSRF token."""

    __tablename__ = "web_sessions"

    id: int | None = Field(default=None, primary_key=True)
    # Only a hash of the cookie is stored, so a leaked database cannot be replayed as a login.
    token_hash: str = Field(unique=True)
    user_id: int = _foreign_key("users.id", "CASCADE", nullable=False)
    csrf_token: str
    created_at: datetime = _created()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class ReviewDecision(SQLModel, table=True):
    """A reviewer's verdict on a post's classification; the latest per post wins."""

    __tablename__ = "review_decisions"
    __table_args__ = (Index("ix_review_decisions_post_decided", "post_id", "decided_at"),)

    id: int | None = Field(default=None, primary_key=True)
    signal_id: int | None = _foreign_key("signals.id", "SET NULL", nullable=True)
    post_id: int = _foreign_key("posts.id", "CASCADE", nullable=False, index=False)
    reviewer_id: int | None = _foreign_key("users.id", "SET NULL", nullable=True)
    decision: str
    is_signal: bool
    stage: str | None = None
    intents: list[str] = _json_list()
    products: list[str] = _json_list()
    decided_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class ResponseTask(SQLModel, table=True):
    """A thread a community manager should answer: who has it, its status, deadline and reply."""

    __tablename__ = "response_tasks"
    __table_args__ = (UniqueConstraint("post_id", name="uq_response_tasks_post"),)

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = _foreign_key("posts.id", "CASCADE", nullable=False, index=False)
    signal_id: int | None = _foreign_key("signals.id", "SET NULL", nullable=True)
    status: str = Field(default="new", index=True)
    assignee_id: int | None = _foreign_key("users.id", "SET NULL", nullable=True)
    play: str | None = None
    deadline: datetime | None = _utc()
    reply_url: str | None = None
    claimed_at: datetime | None = _utc()
    responded_at: datetime | None = _utc()
    created_at: datetime = _created()
    updated_at: datetime = _created()


class AuthorMark(SQLModel, table=True):
    """An author a reviewer marked as spam; their posts leave the review queue."""

    __tablename__ = "author_marks"
    __table_args__ = (
        UniqueConstraint("author", "platform", name="uq_author_marks_author_platform"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str
    author: str
    kind: str = "spam"
    marked_by: int | None = _foreign_key("users.id", "SET NULL", nullable=True)
    created_at: datetime = _created()


# The review queue walks these in order (keyset pagination), so a page never sorts 100k rows.
_signals = table(Signal)
Index("ix_signals_queue_newest", _signals.c.is_signal, _signals.c.created_at, _signals.c.id)
Index("ix_signals_queue_score", _signals.c.is_signal, _signals.c.confidence, _signals.c.id)
