"""The review queue: filtered, keyset-paginated signals, and the decisions reviewers make."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import String, and_, cast, exists, or_, true
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from classifiers import INTENTS, STAGES
from signals.errors import InputError
from signals.identity import platform_for
from signals.store import models as db
from signals.store.columns import utcnow
from signals.store.models_web import AuthorMark, ReviewDecision

SORTS = ("newest", "score")
STATES = ("unreviewed", "reviewed", "accept", "reject", "relabel", "spam", "all")
PAGE = 50
WINDOW = 2000  # signals per query when filtering by a label inside a JSON list


@dataclass(frozen=True)
class QueueFilter:
    """What the reviewer asked to see: sort, filters, and where the page starts."""

    sort: str = "newest"
    source: str | None = None
    community: str | None = None
    intent: str | None = None
    stage: str | None = None
    product: str | None = None
    min_score: float | None = None
    state: str = "unreviewed"
    after: str | None = None
    limit: int = PAGE

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> QueueFilter:
        """Read query parameters; a bad value raises InputError naming the fix."""

        def text(name: str) -> str | None:
            value = (params.get(name) or "").strip()
            return value[:200] or None

        sort = text("sort") or "newest"
        if sort not in SORTS:
            raise InputError(f"sort must be one of {', '.join(SORTS)}")
        state = text("state") or "unreviewed"
        if state not in STATES:
            raise InputError(f"state must be one of {', '.join(STATES)}")
        min_score = None
        if text("min_score"):
            try:
                min_score = float(text("min_score") or "")
            except ValueError:
                raise InputError("min_score must be a number between 0 and 1") from None
        limit = PAGE
        if text("limit"):
            try:
                limit = max(1, min(500, int(text("limit") or "")))
            except ValueError:
                raise InputError("limit must be a whole number") from None
        return cls(
            sort=sort,
            source=text("source"),
            community=text("community"),
            intent=text("intent"),
            stage=text("stage"),
            product=text("product"),
            min_score=min_score,
            state=state,
            after=text("after"),
            limit=limit,
        )

    def params(self, **changes: Any) -> dict[str, str]:
        """The non-default parameters of this filter (with changes), for links."""
        changed = replace(self, **changes)
        out = {
            "sort": changed.sort if changed.sort != "newest" else None,
            "source": changed.source,
            "community": changed.community,
            "intent": changed.intent,
            "stage": changed.stage,
            "product": changed.product,
            "min_score": None if changed.min_score is None else f"{changed.min_score:g}",
            "state": changed.state if changed.state != "unreviewed" else None,
            "after": changed.after,
        }
        return {k: v for k, v in out.items() if v}

    def query_string(self, **changes: Any) -> str:
        return urlencode(self.params(**changes))


@dataclass(frozen=True)
class QueueItem:
    """One signal in the queue, with its post and the latest review of that post."""

    signal: db.Signal
    post: db.Post
    source: str
    source_kind: str
    review: str | None

    @property
    def signal_id(self) -> int:
        assert self.signal.id is not None
        return self.signal.id


@dataclass(frozen=True)
class QueuePage:
    items: list[QueueItem]
    next_cursor: str | None
    filter: QueueFilter
    sources: list[str] = field(default_factory=list)


def _like_label(column: Any, label: str) -> Any:
    # JSON lists are stored as text on SQLite and json on PostgreSQL; both cast to the same text.
    escaped = label.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return cast(column, String).like(f'%"{escaped}"%', escape="\\")


def latest_decision() -> Any:
    """The latest review decision of the current row's post (a correlated subquery)."""
    rd = ReviewDecision
    return (
        core_select(col(rd.decision))
        .where(col(rd.post_id) == col(db.Post.id))
        .order_by(col(rd.decided_at).desc(), col(rd.id).desc())
        .limit(1)
        .correlate(db.Post)
        .scalar_subquery()
    )


def _encode_cursor(item: QueueItem, sort: str) -> str:
    key = item.signal.confidence if sort == "score" else item.signal.created_at
    return _cursor_for(key, item.signal_id)


def _decode_cursor(cursor: str, sort: str) -> tuple[Any, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        key, _, ident = raw.rpartition("|")
        value: Any = float(key) if sort == "score" else datetime.fromisoformat(key)
        return value, int(ident)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InputError("the page cursor is damaged; start again from the first page") from None


def _sort_key(qf: QueueFilter) -> Any:
    return col(db.Signal.confidence) if qf.sort == "score" else col(db.Signal.created_at)


def _before(qf: QueueFilter, cursor: str) -> Any:
    """Rows after the cursor in page order (keyset pagination)."""
    return _before_key(_sort_key(qf), qf.sort, cursor)


def _before_key(key: Any, sort: str, cursor: str) -> Any:
    value, ident = _decode_cursor(cursor, sort)
    return or_(key < value, and_(key == value, col(db.Signal.id) < ident))


def before_newest(cursor: str) -> Any:
    """Signals after a cursor of a newest-first list."""
    return _before_key(col(db.Signal.created_at), "newest", cursor)


def newest_cursor(signal: db.Signal) -> str:
    """The cursor just past a signal in a newest-first list."""
    assert signal.id is not None
    return _cursor_for(signal.created_at, signal.id)


def queue_statement(qf: QueueFilter) -> Any:
    """The SELECT behind a queue page (signals, posts, source, latest review), in page order."""
    review = latest_decision().label("review")
    key = _sort_key(qf)
    statement = (
        core_select(db.Signal, db.Post, col(db.Source.name), col(db.Source.kind), review)
        .join(db.Post, col(db.Post.id) == col(db.Signal.post_id))
        .join(db.Source, col(db.Source.id) == col(db.Post.source_id))
        # "= true", not "IS TRUE": only an equality lets the (is_signal, key, id) index serve.
        .where(col(db.Signal.is_signal) == true())
        .order_by(key.desc(), col(db.Signal.id).desc())
    )
    if qf.after:
        statement = statement.where(_before(qf, qf.after))
    if qf.source:
        statement = statement.where(col(db.Source.name) == qf.source)
    if qf.community:
        statement = statement.where(col(db.Post.community) == qf.community)
    if qf.stage:
        statement = statement.where(col(db.Signal.stage) == qf.stage)
    if qf.intent:
        statement = statement.where(_like_label(db.Signal.intents, qf.intent))
    if qf.product:
        statement = statement.where(_like_label(db.Signal.products, qf.product))
    if qf.min_score is not None:
        statement = statement.where(col(db.Signal.confidence) >= qf.min_score)
    reviewed = exists().where(col(ReviewDecision.post_id) == col(db.Post.id))
    if qf.state == "unreviewed":
        spammer = exists().where(
            col(AuthorMark.author) == col(db.Post.author), col(AuthorMark.kind) == "spam"
        )
        statement = statement.where(~reviewed, ~spammer)
    elif qf.state == "reviewed":
        statement = statement.where(reviewed)
    elif qf.state != "all":
        statement = statement.where(latest_decision() == qf.state)
    return statement.limit(qf.limit + 1)


def queue_page(session: Session, qf: QueueFilter) -> QueuePage:
    """One page of the queue and the cursor of the next."""
    if qf.intent or qf.product:
        rows = _rows_by_windows(session, qf)
    else:
        rows = list(session.execute(queue_statement(qf)))
    items = [QueueItem(s, p, name, kind, review) for s, p, name, kind, review in rows]
    more = len(items) > qf.limit
    items = items[: qf.limit]
    cursor = _encode_cursor(items[-1], qf.sort) if more and items else None
    return QueuePage(items=items, next_cursor=cursor, filter=qf)


def _rows_by_windows(session: Session, qf: QueueFilter) -> list[Any]:
    """Rows for label filters, one window of the index at a time (see rows_in_windows)."""

    def page(after: str | None, limit: int) -> Any:
        return queue_statement(replace(qf, after=after, limit=limit))

    return rows_in_windows(session, qf.sort, page, qf.limit, qf.after)


def rows_in_windows(
    session: Session,
    sort: str,
    page: Callable[[str | None, int], Any],
    limit: int,
    after: str | None,
) -> list[Any]:
    """Up to limit + 1 rows of page(after, limit), walking signals one window at a time.

    page(after, limit) builds an ordered statement of at most limit + 1 rows after a cursor.
    For conditions a planner cannot estimate (labels inside JSON lists, "no review or an
    accepting one") PostgreSQL guesses "almost no rows" and sorts every signal instead of
    walking the index. Bounding each query to the next WINDOW signals in page order keeps every
    query small on both databases.
    """
    key = col(db.Signal.confidence) if sort == "score" else col(db.Signal.created_at)
    rows: list[Any] = []
    while len(rows) <= limit:
        bounds = (
            core_select(key, col(db.Signal.id))
            .where(col(db.Signal.is_signal) == true())
            .order_by(key.desc(), col(db.Signal.id).desc())
            .limit(WINDOW)
        )
        if after:
            bounds = bounds.where(_before_key(key, sort, after))
        window = session.execute(bounds).all()
        if not window:
            break
        last_key, last_id = window[-1]
        inside = or_(key > last_key, and_(key == last_key, col(db.Signal.id) >= last_id))
        rows += list(session.execute(page(after, limit - len(rows)).where(inside)))
        if len(window) < WINDOW:
            break
        after = _cursor_for(last_key, last_id)
    return rows


def _cursor_for(key: Any, ident: int) -> str:
    text = key.isoformat() if isinstance(key, datetime) else str(key)
    return base64.urlsafe_b64encode(f"{text}|{ident}".encode()).decode().rstrip("=")


def filter_choices(session: Session) -> dict[str, list[str]]:
    """Values for the filter menus (sources and communities are small tables/sets)."""
    sources = list(session.exec(select(db.Source.name).order_by(col(db.Source.name))))
    return {
        "sources": sources,
        "intents": list(INTENTS),
        "stages": list(STAGES),
        "states": list(STATES),
    }


def queue_item(session: Session, signal_id: int) -> QueueItem | None:
    """One signal with its post, source and latest review."""
    row = session.execute(
        core_select(
            db.Signal,
            db.Post,
            col(db.Source.name),
            col(db.Source.kind),
            latest_decision().label("review"),
        )
        .join(db.Post, col(db.Post.id) == col(db.Signal.post_id))
        .join(db.Source, col(db.Source.id) == col(db.Post.source_id))
        .where(col(db.Signal.id) == signal_id)
    ).first()
    return QueueItem(*row) if row else None


def thread_of(session: Session, post: db.Post, limit: int = 20) -> list[db.Post]:
    """The post's ancestors (oldest first) and direct replies, for context."""
    ancestors: list[db.Post] = []
    parent_id = post.parent_id
    while parent_id is not None and len(ancestors) < 5:
        parent = session.get(db.Post, parent_id)
        if parent is None:
            break
        ancestors.insert(0, parent)
        parent_id = parent.parent_id
    replies = session.exec(
        select(db.Post)
        .where(col(db.Post.parent_id) == post.id)
        .order_by(col(db.Post.published_at), col(db.Post.id))
        .limit(limit)
    ).all()
    return [*ancestors, post, *replies]


def decide(
    session: Session,
    item: QueueItem,
    reviewer_id: int,
    decision: str,
    stage: str | None = None,
    intents: list[str] | None = None,
) -> ReviewDecision:
    """Store a reviewer's decision (not committed); relabel needs a stage or intents."""
    signal = item.signal
    if decision == "accept":
        row = ReviewDecision(
            decision=decision,
            is_signal=True,
            stage=signal.stage,
            intents=list(signal.intents),
            products=list(signal.products),
        )
    elif decision in ("reject", "spam"):
        row = ReviewDecision(
            decision=decision, is_signal=False, stage=None, intents=[], products=[]
        )
    elif decision == "relabel":
        if stage is not None and stage not in STAGES:
            raise InputError(f"unknown stage {stage!r}; use one of {', '.join(STAGES)}")
        allowed = set(INTENTS) | set(signal.intents)
        unknown = sorted(set(intents or []) - allowed)
        if unknown:
            raise InputError(f"unknown intent {unknown[0]!r}; use one of {', '.join(INTENTS)}")
        if stage is None and not intents:
            raise InputError("relabel needs a stage or at least one intent")
        row = ReviewDecision(
            decision=decision,
            is_signal=True,
            stage=stage,
            intents=sorted(set(intents or [])),
            products=list(signal.products),
        )
    else:
        raise InputError(f"unknown decision {decision!r}; use accept, reject, relabel or spam")
    row.signal_id = signal.id
    assert item.post.id is not None
    row.post_id = item.post.id
    row.reviewer_id = reviewer_id
    row.decided_at = utcnow()
    session.add(row)
    if decision == "spam" and item.post.author:
        mark_spammer(session, item, reviewer_id)
    return row


def mark_spammer(session: Session, item: QueueItem, reviewer_id: int) -> None:
    """Remember the post's author as a spammer (once per platform and author)."""
    assert item.post.author
    platform = platform_for(item.post.url, item.source_kind)
    found = session.exec(
        select(AuthorMark).where(
            AuthorMark.author == item.post.author, AuthorMark.platform == platform
        )
    ).first()
    if found is None:
        session.add(AuthorMark(platform=platform, author=item.post.author, marked_by=reviewer_id))
