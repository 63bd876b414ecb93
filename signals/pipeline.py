"""The pipeline: fetch, skip seen, store posts; then classify, store signals, merge activity.

Crawling and classifying are separate stages joined by the posts table (`classified_at IS NULL`),
so a crash between them loses nothing: the next run classifies what the last one stored.
Each source is stored in one transaction together with its new cursor, so a rerun after a
crash refetches exactly the sources whose posts were not committed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlmodel import col, select

from signals.config import SourceConfig
from signals.identity import Author, normalise_handle, platform_for
from signals.store import models as db
from signals.store.bulk import insert_ignoring_duplicates
from signals.store.columns import utcnow
from signals.store.models import table
from sources import Cursor, FetchResult, HttpClient, Post, SourceError, build_source

if TYPE_CHECKING:
    from classifiers import Classification, Classifier

log = logging.getLogger(__name__)
CLASSIFY_BATCH = 1000
MAX_ERROR_LENGTH = 500


@dataclass
class SourceReport:
    """What one source's crawl did."""

    name: str
    kind: str
    status: str  # "ok", "not modified", "error", "disabled"
    fetched: int = 0
    new: int = 0
    error: str | None = None
    warnings: tuple[str, ...] = ()


@dataclass
class ClassifyReport:
    """What one classification pass did."""

    classified: int = 0
    signals: int = 0
    activities: int = 0
    by_intent: dict[str, int] = field(default_factory=dict)
    signal_ids: list[int] = field(default_factory=list)  # the new signals, for hooks


@dataclass
class RunReport:
    """A whole run: every source, then classification."""

    sources: list[SourceReport]
    classify: ClassifyReport | None
    seconds: float

    @property
    def new_posts(self) -> int:
        return sum(s.new for s in self.sources)

    @property
    def failed(self) -> list[SourceReport]:
        return [s for s in self.sources if s.status == "error"]


def sync_sources(engine: Engine, configs: Sequence[SourceConfig]) -> None:
    """Make the sources table match the configuration (by name); keep cursors of unchanged ones."""
    with Session(engine) as session, session.begin():
        rows = {row.name: row for row in session.scalars(select(db.Source))}
        for config in configs:
            row = rows.get(config.name)
            if row is None:
                session.add(
                    db.Source(
                        name=config.name,
                        kind=config.kind,
                        settings=config.settings,
                        enabled=config.enabled,
                    )
                )
                continue
            if row.kind != config.kind or row.settings != config.settings:
                # A different feed is a different stream: its old validators mean nothing.
                row.kind, row.settings = config.kind, dict(config.settings)
                row.cursor_etag = row.cursor_last_modified = row.cursor_position = None
            # The configuration can disable a source; a pause set in the web app survives a sync.
            if not config.enabled:
                row.enabled = False


def crawl(
    engine: Engine,
    http: HttpClient,
    names: Sequence[str] | None = None,
    on_source: Callable[[SourceReport], None] | None = None,
) -> list[SourceReport]:
    """Fetch every enabled source (or the named ones) and store their new posts."""
    with Session(engine) as session:
        query = select(db.Source).order_by(col(db.Source.id))
        if names:
            query = query.where(col(db.Source.name).in_(names))
        sources = [(s.id, s.name, s.kind, s.enabled) for s in session.scalars(query)]
    reports = []
    for source_id, name, kind, enabled in sources:
        assert source_id is not None
        if not enabled:
            report = SourceReport(name, kind, "disabled")
        else:
            report = crawl_source(engine, http, source_id)
        reports.append(report)
        if on_source:
            on_source(report)
    return reports


def crawl_source(
    engine: Engine,
    http: HttpClient,
    source_id: int,
    during_fetch: Callable[[], AbstractContextManager[object]] = nullcontext,
) -> SourceReport:
    """Fetch one source and commit its new posts with its new cursor; record any failure.

    `during_fetch` wraps the network part only (`signals watch` may interrupt it there).
    """
    with Session(engine) as session:
        row = session.get_one(db.Source, source_id)
        name, kind, settings = row.name, row.kind, dict(row.settings)
        cursor = Cursor(row.cursor_etag, row.cursor_last_modified, row.cursor_position)
    started = utcnow()
    try:
        adapter = build_source(kind, settings, where=f"source {name!r}")
        with during_fetch():
            result = adapter.fetch(http, cursor)
    except SourceError as exc:
        return _record_failure(engine, source_id, name, kind, str(exc), started)
    except Exception as exc:  # an adapter bug must not stop the other sources
        log.exception("source %s failed unexpectedly", name)
        message = f"internal error in the {kind} adapter: {type(exc).__name__}: {exc}"
        return _record_failure(engine, source_id, name, kind, message, started)
    new = _store_result(engine, source_id, result, started)
    status = "not modified" if result.not_modified else "ok"
    return SourceReport(name, kind, status, len(result.posts), new, None, result.warnings)


def _store_result(engine: Engine, source_id: int, result: FetchResult, started: datetime) -> int:
    from signals.people.erasure import drop_forgotten_posts

    rows = [_post_row(source_id, post, started) for post in result.posts]
    with Session(engine) as session, session.begin():
        # Forgotten people's posts are never stored again (`signals forget`).
        rows = drop_forgotten_posts(session, rows, session.get_one(db.Source, source_id).kind)
        inserted = insert_ignoring_duplicates(
            session,
            table(db.Post),
            rows,
            ("source_id", "external_id"),
            returning=("id",),
        )
        if any(row["parent_external_id"] for row in rows):
            _link_parents(session, source_id)
        row = session.get_one(db.Source, source_id)
        row.cursor_etag = result.cursor.etag
        row.cursor_last_modified = result.cursor.last_modified
        row.cursor_position = result.cursor.position
        row.last_fetch_at = row.last_success_at = started
        row.consecutive_failures = 0
        row.last_error = "; ".join(result.warnings)[:MAX_ERROR_LENGTH] or None
        row.last_error_at = started if result.warnings else row.last_error_at
    return len(inserted)


def _post_row(source_id: int, post: Post, fetched_at: datetime) -> dict[str, Any]:
    return {
        "source_id": source_id,
        "external_id": post.external_id,
        "url": post.url,
        "thread_url": post.thread_url,
        "parent_external_id": post.parent_id,
        "author": post.author,
        "author_url": post.author_url,
        "title": post.title,
        "text": post.text,
        "published_at": post.published,
        "community": post.community,
        "fetched_at": fetched_at,
    }


def _link_parents(session: Session, source_id: int) -> None:
    posts = table(db.Post)
    parent = posts.alias("parent")
    parent_id = (
        select(parent.c.id)
        .where(parent.c.source_id == posts.c.source_id)
        .where(parent.c.external_id == posts.c.parent_external_id)
        .scalar_subquery()
    )
    session.execute(
        update(posts)
        .where(posts.c.source_id == source_id)
        .where(posts.c.parent_external_id.is_not(None))
        .where(posts.c.parent_id.is_(None))
        .values(parent_id=parent_id)
    )


def _record_failure(
    engine: Engine, source_id: int, name: str, kind: str, message: str, started: datetime
) -> SourceReport:
    with Session(engine) as session, session.begin():
        row = session.get_one(db.Source, source_id)
        row.last_fetch_at = row.last_error_at = started
        row.last_error = message[:MAX_ERROR_LENGTH]
        row.consecutive_failures += 1
    return SourceReport(name, kind, "error", error=message)


def classify_pending(
    engine: Engine,
    classifier: Classifier,
    batch_size: int = CLASSIFY_BATCH,
    on_batch: Callable[[int], None] | None = None,
) -> ClassifyReport:
    """Classify every stored post not classified yet; store signals and merge their activity."""
    from classifiers import Document

    report = ClassifyReport()
    last_id = 0
    kinds: dict[int | None, str] = {}  # the classifier weighs a post by its source's kind
    while True:
        with Session(engine) as session:
            batch = _unclassified(session, last_id, batch_size)
            if not batch:
                return report
            contexts = _thread_contexts(session, batch)
            if any(p.source_id not in kinds for p in batch):  # once, or for a new source
                kinds = dict(session.execute(select(db.Source.id, db.Source.kind)).all())
        docs = [
            Document(
                id=str(p.id),
                text=p.text,
                title=p.title,
                context=_context(p, contexts),
                source=kinds.get(p.source_id),
            )
            for p in batch
        ]
        results = list(classifier.classify(docs))
        _store_classifications(engine, batch, results, classifier.model_version, report)
        last_id = batch[-1].id or last_id
        if on_batch:
            on_batch(len(batch))


def _context(post: db.Post, contexts: dict[int, str]) -> str | None:
    """The thread opener of a reply; "" for a reply whose thread is not stored (still a reply:
    read with comment rules, never as an opening post); None for an opening post."""
    found = contexts.get(post.id or 0)
    if found is None and (post.parent_id or post.parent_external_id):
        return ""
    return found


_MAX_THREAD_DEPTH = 32  # reply chains deeper than this keep the ancestor reached


def _unclassified(session: Session, after_id: int, limit: int) -> list[db.Post]:
    statement = (
        select(db.Post)
        .where(col(db.Post.classified_at).is_(None))
        .where(col(db.Post.id) > after_id)
        .order_by(col(db.Post.id))
        .limit(limit)
    )
    posts = list(session.scalars(statement))
    session.expunge_all()
    return posts


def _thread_contexts(session: Session, batch: Sequence[db.Post]) -> dict[int, str]:
    """For replies: their thread's opening post (title and text), so a comment is read in it.

    Parent links are climbed level by level (one query per level) up to the oldest stored
    ancestor: a reply to a reply still gets the opener, whose work context it shares.
    """
    ancestor = {p.id: p.parent_id for p in batch if p.id and p.parent_id}
    rows: dict[int, tuple[int | None, str | None, str]] = {}
    known: dict[int, int] = {}  # post -> its oldest stored ancestor found so far
    for _ in range(_MAX_THREAD_DEPTH):
        missing = {a for a in ancestor.values() if a not in rows}
        if missing:
            statement = select(db.Post.id, db.Post.parent_id, db.Post.title, db.Post.text).where(
                col(db.Post.id).in_(missing)
            )
            rows.update({pid: (up, t, x) for pid, up, t, x in session.execute(statement)})
        climbed = False
        for post_id, a in ancestor.items():
            if a not in rows:
                continue  # not stored (or not yet): the last stored ancestor stands
            known[post_id] = a
            up = rows[a][0]
            if up is not None and up != a:
                ancestor[post_id], climbed = up, True
        if not climbed:
            break
    return {post_id: "\n".join(filter(None, rows[a][1:])) for post_id, a in known.items()}


def _store_classifications(
    engine: Engine,
    batch: Sequence[db.Post],
    results: Sequence[Classification],
    model_version: str,
    report: ClassifyReport,
) -> None:
    positives = [(p, c) for p, c in zip(batch, results, strict=True) if c.is_signal]
    with Session(engine) as session, session.begin():
        signal_rows = [_signal_row(p, c, model_version) for p, c in positives]
        inserted = insert_ignoring_duplicates(
            session,
            table(db.Signal),
            signal_rows,
            ("post_id", "model_version"),
            returning=("id", "post_id"),
        )
        signal_ids = {post_id: signal_id for signal_id, post_id in inserted}
        report.activities += _merge_activities(session, positives, signal_ids)
        ids = [p.id for p in batch]
        session.execute(
            update(db.Post).where(col(db.Post.id).in_(ids)).values(classified_at=utcnow())
        )
    report.classified += len(batch)
    report.signals += len(signal_ids)
    report.signal_ids.extend(signal_ids.values())
    for _post, classification in positives:
        for intent in classification.intents:
            report.by_intent[intent] = report.by_intent.get(intent, 0) + 1


def _signal_row(post: db.Post, c: Classification, model_version: str) -> dict[str, Any]:
    return {
        "post_id": post.id,
        "is_signal": c.is_signal,
        "confidence": c.confidence,
        "stage": c.stage,
        "intents": list(c.intents),
        "products": list(c.products),
        "evidence": [
            {"start": e.start, "end": e.end, "text": e.text, "rule": e.rule, "field": e.field}
            for e in c.evidence
        ],
        "model_version": model_version,
        "created_at": utcnow(),
    }


def _merge_activities(
    session: Session,
    positives: Sequence[tuple[db.Post, Classification]],
    signal_ids: dict[int, int],
) -> int:
    """Typed, weighted activities for new signals on their authors' contacts (signals.people)."""
    from signals.people.ingest import merge_signals

    # Posts without a URL fall back to their source's kind as the handle namespace.
    kinds: dict[int, str] = {}
    for source_id, kind in session.execute(select(db.Source.id, db.Source.kind)):
        kinds[source_id or 0] = kind
    authored, unauthored = [], []
    for post, classification in positives:
        if post.id not in signal_ids:
            continue
        author = _author(post, kinds[post.source_id])
        if author is None:
            unauthored.append((post, classification))  # may still name a known company
        else:
            authored.append((post, classification, author))
    return merge_signals(session, authored, signal_ids, unauthored)


def _author(post: db.Post, source_kind: str) -> Author | None:
    if not post.author:
        return None
    platform = platform_for(post.url or post.thread_url, source_kind)
    handle = normalise_handle(platform, post.author)
    return Author(platform=platform, handle=handle, profile_url=post.author_url)


def run(
    engine: Engine,
    http: HttpClient,
    classifier: Classifier,
    names: Sequence[str] | None = None,
    on_source: Callable[[SourceReport], None] | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> RunReport:
    """Crawl, then classify everything stored and not yet classified."""
    started = time.perf_counter()
    reports = crawl(engine, http, names, on_source)
    classified = classify_pending(engine, classifier, on_batch=on_batch)
    return RunReport(reports, classified, time.perf_counter() - started)


__all__ = [
    "ClassifyReport",
    "RunReport",
    "SourceReport",
    "classify_pending",
    "crawl",
    "run",
    "sync_sources",
]
