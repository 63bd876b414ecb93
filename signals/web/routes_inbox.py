"""The respond inbox pages (community managers): threads, claim/assign, status, CSV export."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlmodel import Session

from signals.errors import InputError
from signals.store.columns import utcnow
from signals.store.models_web import User
from signals.web import auth, inbox
from signals.web.app import db_session, local_target, render, wants_json
from signals.web.csvout import csv_response
from signals.web.render import safe_url
from sources import format_utc

router = APIRouter()
Manager = Annotated[auth.CurrentUser, Depends(auth.require_role("community-manager"))]
DbSession = Annotated[Session, Depends(db_session)]


@router.get("/inbox")
def inbox_page(
    request: Request, user: Manager, session: DbSession, view: str = "open", after: str = ""
) -> Response:
    settings = request.app.state.settings
    found, next_cursor = inbox.threads(session, settings, view, user.id, after or None)
    return render(
        request,
        "inbox.html",
        {
            "threads": found,
            "view": view,
            "views": inbox.VIEWS,
            "next_cursor": next_cursor,
            "now": utcnow(),
            "managers": inbox.community_managers(session),
            "safe_url": safe_url,
        },
    )


@router.get("/inbox.csv")
def inbox_csv(request: Request, user: Manager, session: DbSession, view: str = "open") -> Response:
    settings = request.app.state.settings

    def rows() -> Iterator[list[Any]]:
        cursor: str | None = None
        while True:
            found, cursor = inbox.threads(session, settings, view, user.id, cursor)
            for t in found:
                yield [
                    t.post.id,
                    format_utc(t.post.published_at),
                    t.source,
                    t.post.community,
                    t.post.url,
                    t.post.title,
                    t.status,
                    t.assignee,
                    t.play.name if t.play else "",
                    format_utc(t.deadline),
                    t.task.reply_url if t.task else "",
                ]
            if cursor is None:
                return

    header = ["post_id", "published", "source", "community", "url", "title", "status"]
    header += ["assignee", "play", "deadline", "reply_url"]
    return csv_response("inbox.csv", header, rows())


def _thread(request: Request, session: Session, post_id: int) -> inbox.Thread:
    thread = inbox.thread_for(session, request.app.state.settings, post_id)
    if thread is None:
        raise InputError(f"no thread with a signal for post {post_id}")
    return thread


def _done(request: Request, post_id: int, return_to: str) -> Response:
    if wants_json(request):
        return JSONResponse({"post_id": post_id, "ok": True})
    return RedirectResponse(local_target(return_to, "/inbox"), status_code=303)


@router.post("/inbox/{post_id}/claim")
def claim(
    request: Request,
    post_id: int,
    user: Manager,
    session: DbSession,
    return_to: Annotated[str, Form(max_length=2000)] = "/inbox",
) -> Response:
    inbox.claim(session, _thread(request, session, post_id), user.id)
    session.commit()
    return _done(request, post_id, return_to)


@router.post("/inbox/{post_id}/assign")
def assign(
    request: Request,
    post_id: int,
    user: Manager,
    session: DbSession,
    assignee_id: Annotated[int, Form()],
    return_to: Annotated[str, Form(max_length=2000)] = "/inbox",
) -> Response:
    assignee = session.get(User, assignee_id)
    if assignee is None:
        raise InputError(f"no user {assignee_id}; pick one from the list")
    inbox.assign(session, _thread(request, session, post_id), assignee)
    session.commit()
    return _done(request, post_id, return_to)


@router.post("/inbox/{post_id}/status")
def status(
    request: Request,
    post_id: int,
    user: Manager,
    session: DbSession,
    status: Annotated[str, Form(max_length=16)],
    reply_url: Annotated[str, Form(max_length=2000)] = "",
    return_to: Annotated[str, Form(max_length=2000)] = "/inbox",
) -> Response:
    inbox.set_status(session, _thread(request, session, post_id), user.id, status, reply_url)
    session.commit()
    return _done(request, post_id, return_to)
