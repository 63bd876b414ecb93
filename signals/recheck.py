"""Deletion re-check: ask each source whether stored posts still exist; erase those that do not.

A post deleted or removed at its source (Reddit `[deleted]` / `[removed]`, HTTP 404 or 410) keeps
its row, so dedupe still knows it, but loses its text, title and author, and the quoted evidence
of its signals: `deleted_at` says when.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlmodel import col, select

from signals.store import models as db
from signals.store.columns import utcnow
from sources import HttpClient, HttpStatusError, SourceError, build_source
from sources.base import Rechecks

log = logging.getLogger(__name__)


@dataclass
class RecheckReport:
    """What one source's re-check found."""

    name: str
    checked: int = 0
    erased: int = 0
    error: str | None = None


def recheck(
    engine: Engine, http: HttpClient, names: Sequence[str] | None = None, limit: int = 500
) -> list[RecheckReport]:
    """Re-check up to `limit` stored posts per source, least recently checked first."""
    with Session(engine) as session:
        query = select(db.Source).where(col(db.Source.enabled)).order_by(col(db.Source.id))
        if names:
            query = query.where(col(db.Source.name).in_(names))
        sources = [(s.id or 0, s.name, s.kind, dict(s.settings)) for s in session.scalars(query)]
    return [recheck_source(engine, http, *source, limit=limit) for source in sources]


def recheck_source(
    engine: Engine,
    http: HttpClient,
    source_id: int,
    name: str,
    kind: str,
    settings: dict[str, object],
    limit: int = 500,
) -> RecheckReport:
    """Re-check one source's posts; a failure is reported, never raised."""
    report = RecheckReport(name)
    with Session(engine) as session:
        rows = session.execute(
            select(db.Post.id, db.Post.external_id, db.Post.url)
            .where(db.Post.source_id == source_id)
            .where(col(db.Post.deleted_at).is_(None))
            .order_by(
                col(db.Post.rechecked_at).is_not(None),
                col(db.Post.rechecked_at),
                col(db.Post.id),
            )
            .limit(limit)
        ).all()
    if not rows:
        return report
    try:
        adapter = build_source(kind, settings, where=f"source {name!r}")
        if isinstance(adapter, Rechecks):
            gone_ids = adapter.recheck(http, [external for _, external, _ in rows])
        else:
            gone_ids = {external for _, external, url in rows if url and _url_gone(http, url)}
    except SourceError as exc:
        report.error = str(exc)
        return report
    gone = [post_id for post_id, external, _ in rows if external in gone_ids]
    _mark(engine, [post_id for post_id, _, _ in rows], gone)
    report.checked, report.erased = len(rows), len(gone)
    return report


def _url_gone(http: HttpClient, url: str) -> bool:
    """A post's own page answers 404 or 410 (any other failure proves nothing)."""
    try:
        http.get(url)
    except HttpStatusError as exc:
        return exc.status in (404, 410)
    return False


def _mark(engine: Engine, checked: list[int], gone: list[int]) -> None:
    now = utcnow()
    with Session(engine) as session, session.begin():
        session.execute(
            update(db.Post).where(col(db.Post.id).in_(checked)).values(rechecked_at=now)
        )
        if gone:
            session.execute(
                update(db.Post)
                .where(col(db.Post.id).in_(gone))
                .values(deleted_at=now, text="", title=None, author=None, author_url=None)
            )
            session.execute(
                update(db.Signal).where(col(db.Signal.post_id).in_(gone)).values(evidence=[])
            )
