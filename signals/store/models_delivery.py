"""Tables of the delivery area: the outbox, webhook endpoints, alert subscriptions and digests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from signals.store.columns import UTCDateTime
from signals.store.models import _created, _foreign_key, _json_list, _utc


class Delivery(SQLModel, table=True):
    """One message to send through a channel; sent at least once, deduplicated by its key."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_status_next_attempt_at", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str  # "webhook" | "slack" | "email"
    target: str  # webhook endpoint name, Slack incoming-webhook URL, or e-mail address
    idempotency_key: str = Field(unique=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    contact_id: int | None = _foreign_key("contacts.id", "CASCADE", nullable=True)
    status: str = "pending"  # "pending" | "delivered" | "failed" | "paused"
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    last_error: str | None = None
    created_at: datetime = _created()
    delivered_at: datetime | None = _utc()


class WebhookEndpoint(SQLModel, table=True):
    """A receiver of signed webhook events, paused after repeated failures."""

    __tablename__ = "webhook_endpoints"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    url: str
    secret: str
    enabled: bool = True
    paused_at: datetime | None = _utc()
    consecutive_failures: int = 0
    events: list[str] = _json_list()  # event names it wants; empty means every event
    created_at: datetime = _created()


class AlertSubscription(SQLModel, table=True):
    """Who gets alerts, through which channel, at once or as a digest."""

    __tablename__ = "alert_subscriptions"
    __table_args__ = (
        UniqueConstraint("channel", "target", name="uq_alert_subscriptions_channel_target"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # A web user's own subscription; removed with the user.
    user_id: int | None = _foreign_key("users.id", "CASCADE", nullable=True)
    channel: str  # "slack" | "email"
    target: str
    mode: str = "immediate"  # "immediate" | "digest"
    digest_minutes: int = 60
    enabled: bool = True
    from_config: bool = False  # synced from delivery.toml, removed when it leaves the file
    last_digest_at: datetime | None = _utc()
    created_at: datetime = _created()


class DigestItem(SQLModel, table=True):
    """An alert waiting to be folded into its subscriber's next digest."""

    __tablename__ = "alert_digest_items"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_key", name="uq_alert_digest_items_sub_event"),
    )

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: int = _foreign_key("alert_subscriptions.id", "CASCADE", nullable=False)
    contact_id: int | None = _foreign_key("contacts.id", "CASCADE", nullable=True)
    event_key: str
    alert: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = _created()


class DeliveryCursor(SQLModel, table=True):
    """A consumer's high-water mark over an append-only table (signals, stage_changes)."""

    __tablename__ = "delivery_cursors"

    name: str = Field(primary_key=True)
    last_id: int = 0
    updated_at: datetime = _created()
