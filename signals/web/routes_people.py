"""Contact and account pages, merge proposals and erasure, all through the people bridge."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, select

from signals.listing import most_active_contacts
from signals.store import models as db
from signals.web import auth, people_bridge
from signals.web.app import db_session, render
from signals.web.render import safe_url

router = APIRouter()
Marketer = Annotated[auth.CurrentUser, Depends(auth.require_role("marketer"))]
DbSession = Annotated[Session, Depends(db_session)]


@router.get("/contacts")
def contacts(request: Request, user: Marketer) -> Response:
    found = most_active_contacts(request.app.state.engine, limit=100)
    return render(request, "contacts.html", {"contacts": found})


@router.get("/contacts/{contact_id}")
def contact_page(request: Request, contact_id: int, user: Marketer, session: DbSession) -> Response:
    contact = session.get(db.Contact, contact_id)
    if contact is None:
        return render(request, "error.html", {"status": 404, "message": "no such contact"}, 404)
    identities = session.exec(
        select(db.Identity)
        .where(db.Identity.contact_id == contact_id)
        .order_by(col(db.Identity.id))
    ).all()
    # The timeline comes from our own tables, so it shows even before scoring is installed.
    timeline = session.exec(
        select(db.Activity, db.Post)
        .join(db.Post, col(db.Post.id) == col(db.Activity.post_id))
        .where(db.Activity.contact_id == contact_id)
        .order_by(col(db.Activity.occurred_at).desc())
        .limit(200)
    ).all()
    return render(
        request,
        "contact.html",
        {
            "contact": contact,
            "identities": identities,
            "timeline": timeline,
            "card": people_bridge.contact_card(session, contact_id),
            "explanation": people_bridge.explain_contact(session, contact_id),
            "history": people_bridge.stage_history(session, contact_id),
            "safe_url": safe_url,
        },
    )


@router.get("/accounts/{account_id}")
def account_page(request: Request, account_id: int, user: Marketer, session: DbSession) -> Response:
    account = session.get(db.Account, account_id)
    if account is None:
        return render(request, "error.html", {"status": 404, "message": "no such account"}, 404)
    members = session.exec(
        select(db.Contact).where(db.Contact.account_id == account_id).order_by(col(db.Contact.id))
    ).all()
    card = people_bridge.account_card(session, account_id)
    context = {"account": account, "members": members, "card": card}
    return render(request, "account.html", context)


@router.get("/merges")
def merges(request: Request, user: Marketer, session: DbSession) -> Response:
    proposals = people_bridge.merge_proposals(session)
    return render(request, "merges.html", {"proposals": proposals})


@router.post("/merges/{proposal_id}/{verdict}")
def merge_verdict(
    request: Request, proposal_id: int, verdict: str, user: Marketer, session: DbSession
) -> Response:
    if verdict == "approve":
        people_bridge.approve_merge(session, proposal_id, actor=user.name)
    elif verdict == "reject":
        people_bridge.reject_merge(session, proposal_id, actor=user.name)
    else:
        return render(request, "error.html", {"status": 404, "message": "no such action"}, 404)
    session.commit()
    return RedirectResponse("/merges", status_code=303)


@router.get("/people/forget")
def forget_page(request: Request, user: Marketer, person: str = "") -> Response:
    return render(request, "forget.html", {"person": person, "report": None})


@router.post("/people/forget")
def forget(
    request: Request,
    user: Marketer,
    session: DbSession,
    person: Annotated[str, Form(min_length=1, max_length=300)],
    confirm: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    if confirm.strip() != person.strip():
        context = {"person": person, "report": None, "error": "type the person again to confirm"}
        return render(request, "forget.html", {**context}, status=400)
    report = people_bridge.forget_person(session, person.strip())
    session.commit()
    return render(request, "forget.html", {"person": "", "report": report})
