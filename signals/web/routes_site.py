"""Dashboard and sources pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
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
    return _sources(request, session)


def _sources(
    request: Request, session: Session, error: str | None = None, status: int = 200
) -> Response:
    from sources.registry import ADAPTERS

    sources = session.exec(select(db.Source).order_by(col(db.Source.name))).all()
    context = {"sources": sources, "kinds": sorted(ADAPTERS), "error": error}
    return render(request, "sources.html", context, status)


@router.post("/sources/add")
def add_source(
    request: Request,
    user: Admin,
    session: DbSession,
    name: Annotated[str, Form(max_length=200)],
    kind: Annotated[str, Form(max_length=40)],
    settings: Annotated[str, Form(max_length=4000)] = "",
    interval: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Validate, fetch once, append to signals.toml (as `signals sources add`), then sync."""
    from signals.config import config_directory, load_settings
    from signals.errors import SignalsError
    from signals.pipeline import sync_sources
    from signals.sources_admin import add_source as append_source
    from signals.sources_admin import parse_settings
    from sources import HttpClient

    try:
        every = float(interval) if interval.strip() else None
    except ValueError:
        return _sources(request, session, f"interval {interval!r} is not a number of seconds", 400)
    try:
        current = load_settings(config_directory(request.app.state.config_dir))
        with HttpClient(current.http) as http:
            append_source(current, name.strip(), kind, parse_settings(settings), every, http)
        sync_sources(request.app.state.engine, load_settings(current.directory).sources)
    except SignalsError as exc:
        return _sources(request, session, str(exc), 400)
    return RedirectResponse("/sources", status_code=303)


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
