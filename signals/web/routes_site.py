"""Dashboard and sources pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, select

from signals.store import models as db
from signals.web import auth, dashboard, people_bridge
from signals.web.app import db_session, render

router = APIRouter()
DbSession = Annotated[Session, Depends(db_session)]
AnyUser = Annotated[auth.CurrentUser, Depends(auth.any_user)]
Admin = Annotated[auth.CurrentUser, Depends(auth.require_role("admin"))]


@router.get("/dashboard")
def dashboard_page(request: Request, user: AnyUser, session: DbSession) -> Response:
    days, by_stage, by_intent = dashboard.daily_counts(session)
    return render(
        request,
        "dashboard.html",
        {
            "stage_chart": dashboard.bar_chart("Signals per day by stage", days, by_stage),
            "intent_chart": dashboard.bar_chart("Signals per day by intent", days, by_intent),
            "moves": people_bridge.stage_moves_since(session, days=7),
            "precision": dashboard.precision_by_source(session),
        },
    )


@router.get("/sources")
def sources_page(request: Request, user: AnyUser, session: DbSession) -> Response:
    sources = session.exec(select(db.Source).order_by(col(db.Source.name))).all()
    return render(request, "sources.html", {"sources": sources})


@router.post("/sources/{source_id}/{action}")
def pause_or_resume(
    request: Request, source_id: int, action: str, user: Admin, session: DbSession
) -> Response:
    source = session.get(db.Source, source_id)
    if source is None or action not in ("pause", "resume"):
        return render(request, "error.html", {"status": 404, "message": "no such source"}, 404)
    source.enabled = action == "resume"
    session.commit()
    return RedirectResponse("/sources", status_code=303)
