"""The review queue pages (marketers): list, detail, decisions, CSV export."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlmodel import Session

from signals.store import models as db
from signals.web import auth, people_bridge
from signals.web.app import db_session, local_target, render, wants_json
from signals.web.csvout import csv_response
from signals.web.queue import QueueFilter, decide, filter_choices, queue_item, queue_page, thread_of
from signals.web.render import safe_url
from sources import format_utc

router = APIRouter()
Marketer = Annotated[auth.CurrentUser, Depends(auth.require_role("marketer"))]
DbSession = Annotated[Session, Depends(db_session)]
CSV_LIMIT = 100_000


@router.get("/review")
def review_queue(request: Request, user: Marketer, session: DbSession) -> Response:
    qf = QueueFilter.from_params(request.query_params)
    page = queue_page(session, qf)
    return render(
        request,
        "review.html",
        {
            "page": page,
            "qf": qf,
            "choices": filter_choices(session),
            "return_to": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        },
    )


@router.get("/review.csv")
def review_csv(request: Request, user: Marketer, session: DbSession) -> Response:
    qf = replace(QueueFilter.from_params(request.query_params), limit=1000)

    def rows() -> Iterator[list[Any]]:
        current, sent = qf, 0
        while sent < CSV_LIMIT:
            page = queue_page(session, current)
            for item in page.items:
                s, p = item.signal, item.post
                quotes = [str(e.get("text", "")) for e in s.evidence]
                yield [
                    item.signal_id,
                    format_utc(p.published_at),
                    item.source,
                    p.community,
                    p.author,
                    p.url,
                    p.title,
                    f"{s.confidence:.3f}",
                    s.stage,
                    s.intents,
                    s.products,
                    item.review or "",
                    quotes,
                ]
            sent += len(page.items)
            if page.next_cursor is None:
                return
            current = replace(current, after=page.next_cursor)

    header = ["signal_id", "published", "source", "community", "author", "url", "title"]
    header += ["confidence", "stage", "intents", "products", "review", "evidence"]
    return csv_response("signals.csv", header, rows())


@router.get("/review/{signal_id}")
def review_detail(request: Request, signal_id: int, user: Marketer, session: DbSession) -> Response:
    item = queue_item(session, signal_id)
    if item is None:
        return render(request, "error.html", {"status": 404, "message": "no such signal"}, 404)
    contact_id = people_bridge.contact_for_author(session, item.post, item.source_kind)
    contact = session.get(db.Contact, contact_id) if contact_id else None
    card = people_bridge.contact_card(session, contact_id) if contact_id else None
    account = None
    if card and card.get("account_id"):
        account = people_bridge.account_card(session, int(card["account_id"]))
    return render(
        request,
        "review_detail.html",
        {
            "item": item,
            "thread": thread_of(session, item.post),
            "contact": contact,
            "card": card,
            "account": account,
            "choices": filter_choices(session),
            "post_url": safe_url(item.post.url),
            "return_to": f"/review/{signal_id}",
        },
    )


@router.post("/review/{signal_id}/decision")
def review_decision(
    request: Request,
    signal_id: int,
    user: Marketer,
    session: DbSession,
    decision: Annotated[str, Form(max_length=16)],
    stage: Annotated[str, Form(max_length=32)] = "",
    intents: Annotated[list[str] | None, Form()] = None,
    return_to: Annotated[str, Form(max_length=2000)] = "/review",
) -> Response:
    item = queue_item(session, signal_id)
    if item is None:
        return render(request, "error.html", {"status": 404, "message": "no such signal"}, 404)
    row = decide(session, item, user.id, decision, stage or None, intents or [])
    session.commit()
    if wants_json(request):
        return JSONResponse({"signal_id": signal_id, "decision": row.decision, "review_id": row.id})
    return RedirectResponse(local_target(return_to, "/review"), status_code=303)
