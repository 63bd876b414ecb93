"""My alerts: each user chooses where their alerts go (e-mail, Slack) and how (now or a digest)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import delete
from sqlmodel import Session, col, select

from signals.delivery import alerts
from signals.errors import SignalsError
from signals.store.models_delivery import AlertSubscription
from signals.web import auth
from signals.web.app import db_session, render

router = APIRouter()
DbSession = Annotated[Session, Depends(db_session)]
AnyUser = Annotated[auth.CurrentUser, Depends(auth.any_user)]


def _mine(session: Session, user_id: int) -> list[AlertSubscription]:
    statement = select(AlertSubscription).where(col(AlertSubscription.user_id) == user_id)
    return list(session.exec(statement.order_by(col(AlertSubscription.channel))).all())


def _page(
    request: Request, session: Session, user_id: int, error: str | None = None, status: int = 200
) -> Response:
    mine = _mine(session, user_id)
    context = {"subscriptions": mine, "by": {s.channel: s for s in mine}, "error": error}
    return render(request, "alerts.html", context, status)


@router.get("/alerts")
def alerts_page(request: Request, user: AnyUser, session: DbSession) -> Response:
    return _page(request, session, user.id)


@router.post("/alerts")
def save_alerts(
    request: Request,
    user: AnyUser,
    session: DbSession,
    mode: Annotated[str, Form(max_length=20)],
    email: Annotated[str, Form(max_length=320)] = "",
    slack_url: Annotated[str, Form(max_length=2000)] = "",
    digest_minutes: Annotated[int, Form(ge=1, le=10080)] = 60,
) -> Response:
    """Replace this user's subscriptions with the ones in the form (none: no alerts)."""
    wanted = [("email", email.strip()), ("slack", slack_url.strip())]
    try:
        session.execute(delete(AlertSubscription).where(col(AlertSubscription.user_id) == user.id))
        for channel, target in wanted:
            if not target:
                continue
            taken = session.exec(
                select(AlertSubscription).where(
                    col(AlertSubscription.channel) == channel,
                    col(AlertSubscription.target) == target,
                )
            ).first()
            if taken is not None:
                raise SignalsError(f"{target!r} already receives alerts; choose another {channel}")
            alerts.subscribe(session, channel, target, mode, user.id, digest_minutes)
        session.commit()
    except SignalsError as exc:
        session.rollback()
        return _page(request, session, user.id, str(exc), 400)
    return RedirectResponse("/alerts", status_code=303)
