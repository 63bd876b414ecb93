"""The respond inbox: threads that need a reply, who has them, and against which deadline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, true
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from signals.errors import InputError
from signals.store import models as db
from signals.store.columns import utcnow
from signals.store.models_web import TASK_STATUSES, ResponseTask, User
from signals.web.queue import before_newest, latest_decision, newest_cursor, rows_in_windows
from signals.web.render import safe_url
from signals.web.settings import Play, WebSettings

VIEWS = ("open", "mine", *TASK_STATUSES, "all")
PAGE = 100


@dataclass(frozen=True)
class Thread:
    """A signal's thread as the inbox shows it."""

    signal: db.Signal
    post: db.Post
    source: str
    task: ResponseTask | None
    assignee: str | None
    play: Play | None
    deadline: datetime
    etiquette: str | None

    @property
    def status(self) -> str:
        return self.task.status if self.task else "new"

    def seconds_left(self, now: datetime) -> float:
        return (self.deadline - now).total_seconds()


def posted_at(post: db.Post) -> datetime:
    """When the post was written (else when we fetched it): the timer starts there."""
    return post.published_at or post.fetched_at


def deadline_for(settings: WebSettings, post: db.Post, play: Play | None) -> datetime:
    minutes = play.deadline_minutes if play else settings.default_deadline_minutes
    return posted_at(post) + timedelta(minutes=minutes)


def threads(
    session: Session, settings: WebSettings, view: str, user_id: int, after: str | None = None
) -> tuple[list[Thread], str | None]:
    """One page of a view (open, mine, a status, all) and the cursor of the next page."""
    if view not in VIEWS:
        raise InputError(f"view must be one of {', '.join(VIEWS)}")
    if view not in ("open", "new", "all"):
        return _taken(session, settings, view, user_id, after)
    status = func.coalesce(col(ResponseTask.status), "new")
    wanted = ["new", "claimed"] if view == "open" else [view]

    def page(cursor: str | None, limit: int) -> Any:
        statement = _threads_statement().where(col(db.Signal.is_signal) == true())
        if view != "all":
            statement = statement.where(status.in_(wanted))
        if cursor:
            statement = statement.where(before_newest(cursor))
        # Newest signal first: the order of the queue's index.
        order = (col(db.Signal.created_at).desc(), col(db.Signal.id).desc())
        return statement.order_by(*order).limit(limit + 1)

    rows = rows_in_windows(session, "newest", page, PAGE, after)
    found = [_thread(settings, *row) for row in rows[:PAGE]]
    more = len(rows) > PAGE
    return found, newest_cursor(found[-1].signal) if more and found else None


def _threads_statement() -> Any:
    """Signals with their post, source, task and assignee, less those reviewers turned down."""
    return (
        core_select(db.Signal, db.Post, col(db.Source.name), ResponseTask, col(User.name))
        .join(db.Post, col(db.Post.id) == col(db.Signal.post_id))
        .join(db.Source, col(db.Source.id) == col(db.Post.source_id))
        .join(ResponseTask, col(ResponseTask.post_id) == col(db.Post.id), isouter=True)
        .join(User, col(User.id) == col(ResponseTask.assignee_id), isouter=True)
        # Posts a reviewer rejected or flagged as spam need no answer.
        .where(or_(latest_decision().is_(None), latest_decision().in_(["accept", "relabel"])))
    )


def _taken(
    session: Session, settings: WebSettings, view: str, user_id: int, after: str | None
) -> tuple[list[Thread], str | None]:
    """Claimed, responded, skipped or mine: the page comes from the (small) tasks table."""
    taken = core_select(col(ResponseTask.post_id))
    if view == "mine":
        taken = taken.where(col(ResponseTask.assignee_id) == user_id)
    else:
        taken = taken.where(col(ResponseTask.status) == view)
    offset = int(after) if after and after.isdigit() else 0
    taken = taken.order_by(col(ResponseTask.updated_at).desc(), col(ResponseTask.id).desc())
    post_ids = list(session.scalars(taken.offset(offset).limit(PAGE + 1)))
    more = len(post_ids) > PAGE
    post_ids = post_ids[:PAGE]
    if not post_ids:
        return [], None
    # Only the post ids constrain this query, so no planner walks every signal instead; a
    # condition on is_signal here made SQLite do exactly that (it guessed it selective).
    found = session.execute(_threads_statement().where(col(db.Signal.post_id).in_(post_ids)))
    rows = {row[1].id: row for row in found if row[0].is_signal}
    threads = [_thread(settings, *rows[i]) for i in post_ids if i in rows]
    return threads, str(offset + PAGE) if more else None


def _thread(
    settings: WebSettings,
    signal: db.Signal,
    post: db.Post,
    source: str,
    task: ResponseTask | None,
    assignee: str | None,
) -> Thread:
    play = settings.play_for(list(signal.intents), signal.stage)
    deadline = task.deadline if task and task.deadline else deadline_for(settings, post, play)
    return Thread(
        signal=signal,
        post=post,
        source=source,
        task=task,
        assignee=assignee,
        play=play,
        deadline=deadline,
        etiquette=settings.etiquette.get(post.community or "") if post.community else None,
    )


def thread_for(session: Session, settings: WebSettings, post_id: int) -> Thread | None:
    row = session.execute(
        core_select(db.Signal, db.Post, col(db.Source.name), ResponseTask, col(User.name))
        .join(db.Post, col(db.Post.id) == col(db.Signal.post_id))
        .join(db.Source, col(db.Source.id) == col(db.Post.source_id))
        .join(ResponseTask, col(ResponseTask.post_id) == col(db.Post.id), isouter=True)
        .join(User, col(User.id) == col(ResponseTask.assignee_id), isouter=True)
        .where(col(db.Post.id) == post_id, col(db.Signal.is_signal) == true())
        .order_by(col(db.Signal.id).desc())
    ).first()
    return _thread(settings, *row) if row else None


def _task(session: Session, thread: Thread) -> ResponseTask:
    """The thread's task, created on first use with its play and deadline."""
    if thread.task is not None:
        return thread.task
    assert thread.post.id is not None
    task = ResponseTask(
        post_id=thread.post.id,
        signal_id=thread.signal.id,
        play=thread.play.name if thread.play else None,
        deadline=thread.deadline,
    )
    session.add(task)
    return task


def claim(session: Session, thread: Thread, user_id: int) -> None:
    """Take a thread; refused when someone else already claimed it."""
    task = thread.task
    if task and task.status == "claimed" and task.assignee_id not in (None, user_id):
        raise InputError(f"already claimed by {thread.assignee}; ask them or reassign it")
    task = _task(session, thread)
    _assign(task, user_id)


def assign(session: Session, thread: Thread, assignee: User) -> None:
    """Give a thread to a community manager (or an admin)."""
    if assignee.role not in ("community-manager", "admin") or assignee.disabled:
        raise InputError(f"{assignee.name} is not a community manager; pick one who is")
    assert assignee.id is not None
    _assign(_task(session, thread), assignee.id)


def _assign(task: ResponseTask, user_id: int) -> None:
    now = utcnow()
    task.assignee_id = user_id
    task.status = "claimed"
    task.claimed_at = now
    task.updated_at = now


def set_status(
    session: Session, thread: Thread, user_id: int, status: str, reply_url: str | None
) -> None:
    """Move a thread to a status; responded needs the http(s) URL of the reply."""
    if status not in TASK_STATUSES:
        raise InputError(f"status must be one of {', '.join(TASK_STATUSES)}")
    url = (reply_url or "").strip() or None
    if status == "responded":
        if not url or safe_url(url) is None:
            raise InputError("a responded thread needs the reply's http(s) URL")
    elif url is not None and safe_url(url) is None:
        raise InputError("the reply URL must start with http:// or https://")
    task = _task(session, thread)
    now = utcnow()
    task.status = status
    task.updated_at = now
    if status == "new":
        task.assignee_id = None
    elif task.assignee_id is None:
        task.assignee_id = user_id
    if url is not None:
        task.reply_url = url
    if status == "responded":
        task.responded_at = now


def community_managers(session: Session) -> list[Any]:
    return list(
        session.exec(
            select(User)
            .where(col(User.role).in_(["community-manager", "admin"]))
            .where(col(User.disabled).is_(False))
            .order_by(col(User.name))
        )
    )
