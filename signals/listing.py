"""Queries behind `signals list` and the demo summary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as core_select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlmodel import col, select

from signals.store import models as db
from sources import format_utc


@dataclass(frozen=True)
class SignalView:
    """A signal with what a reader needs to judge it."""

    signal_id: int
    source: str
    community: str | None
    url: str | None
    author: str | None
    title: str | None
    text: str
    published: datetime | None
    confidence: float
    stage: str | None
    intents: list[str]
    products: list[str]
    evidence: list[dict[str, Any]]
    model_version: str

    def to_json(self) -> dict[str, Any]:
        return {
            "signal_id": self.signal_id,
            "source": self.source,
            "community": self.community,
            "url": self.url,
            "author": self.author,
            "title": self.title,
            "published": format_utc(self.published),
            "confidence": self.confidence,
            "stage": self.stage,
            "intents": self.intents,
            "products": self.products,
            "evidence": self.evidence,
            "model_version": self.model_version,
        }


def recent_signals(
    engine: Engine,
    intent: str | None = None,
    stage: str | None = None,
    source: str | None = None,
    since: datetime | None = None,
    min_confidence: float = 0.0,
    limit: int = 20,
) -> list[SignalView]:
    """Signals newest first (by the post's time), filtered."""
    statement = (
        select(db.Signal, db.Post, db.Source.name)
        .join(db.Post, col(db.Post.id) == col(db.Signal.post_id))
        .join(db.Source, col(db.Source.id) == col(db.Post.source_id))
        .where(col(db.Signal.confidence) >= min_confidence)
        .order_by(
            func.coalesce(col(db.Post.published_at), col(db.Post.fetched_at)).desc(),
            col(db.Signal.id).desc(),
        )
    )
    if stage:
        statement = statement.where(col(db.Signal.stage) == stage)
    if source:
        statement = statement.where(col(db.Source.name) == source)
    if since:
        statement = statement.where(col(db.Post.published_at) >= since)
    views: list[SignalView] = []
    with Session(engine) as session:
        # Intents are a JSON list; filtering them in Python keeps SQLite and PostgreSQL alike.
        for signal, post, source_name in session.execute(statement):
            if intent and intent not in signal.intents:
                continue
            views.append(_view(signal, post, source_name))
            if len(views) >= limit:
                break
    return views


def _view(signal: db.Signal, post: db.Post, source_name: str) -> SignalView:
    assert signal.id is not None
    return SignalView(
        signal_id=signal.id,
        source=source_name,
        community=post.community,
        url=post.url,
        author=post.author,
        title=post.title,
        text=post.text,
        published=post.published_at,
        confidence=signal.confidence,
        stage=signal.stage,
        intents=list(signal.intents),
        products=list(signal.products),
        evidence=list(signal.evidence),
        model_version=signal.model_version,
    )


@dataclass(frozen=True)
class ContactActivity:
    """A contact and how much buying activity they showed."""

    contact_id: int
    name: str
    platforms: str
    activities: int
    weight: float
    last_seen: datetime | None


def most_active_contacts(engine: Engine, limit: int = 10) -> list[ContactActivity]:
    """Contacts by number of activities, then summed weight."""
    count = func.count(col(db.Activity.id))
    weight = func.sum(col(db.Activity.weight))
    statement = (
        core_select(
            col(db.Contact.id),
            col(db.Contact.display_name),
            func.min(col(db.Identity.platform)),
            count,
            weight,
            func.max(col(db.Activity.occurred_at)),
        )
        .join(db.Activity, col(db.Activity.contact_id) == col(db.Contact.id))
        .join(db.Identity, col(db.Identity.id) == col(db.Activity.identity_id), isouter=True)
        .group_by(col(db.Contact.id), col(db.Contact.display_name))
        .order_by(count.desc(), weight.desc(), col(db.Contact.id))
        .limit(limit)
    )
    with Session(engine) as session:
        return [
            ContactActivity(int(cid or 0), name, platform or "", n, float(w or 0), last)
            for cid, name, platform, n, w, last in session.execute(statement)
        ]


def signal_counts(engine: Engine) -> tuple[dict[str, int], dict[str, int], int]:
    """Signals by intent and by stage, and the number of stored posts."""
    by_intent: dict[str, int] = {}
    by_stage: dict[str, int] = {}
    with Session(engine) as session:
        for stage, intents in session.execute(select(db.Signal.stage, db.Signal.intents)):
            by_stage[stage or "none"] = by_stage.get(stage or "none", 0) + 1
            for name in intents:
                by_intent[name] = by_intent.get(name, 0) + 1
        posts = session.scalar(select(func.count(col(db.Post.id)))) or 0
    return by_intent, by_stage, posts
