"""Log in, log out, and the home page that sends each role to its main page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, select

from signals.store.models_web import User
from signals.web import auth
from signals.web.app import db_session, local_target, new_login_csrf, render, secure_cookies
from signals.web.passwords import verify_password

router = APIRouter()
HOME = {"marketer": "/review", "community-manager": "/inbox", "admin": "/dashboard"}


@router.get("/")
def home(request: Request) -> Response:
    user: auth.CurrentUser | None = request.state.user
    if user is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse(HOME.get(user.role, "/dashboard"), status_code=303)


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    token = request.cookies.get(auth.LOGIN_CSRF_COOKIE) or new_login_csrf()
    response = render(request, "login.html", {"login_csrf": token, "next": local_target(next, "")})
    response.set_cookie(
        auth.LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path="/login",
    )
    return response


@router.post("/login")
def login(
    request: Request,
    session: Annotated[Session, Depends(db_session)],
    name: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form()] = "",
) -> Response:
    name = name.strip()
    throttle: auth.LoginThrottle = request.app.state.login_throttle
    context = {"login_csrf": request.cookies.get(auth.LOGIN_CSRF_COOKIE, ""), "next": next}
    if throttle.blocked(name):
        # Guessing passwords online stops here; the owner waits out the window.
        context["error"] = "too many failed logins for this user; wait 15 minutes and try again"
        return render(request, "login.html", context, status=429)
    user = session.exec(select(User).where(User.name == name)).first()
    valid = verify_password(user.password_hash if user else None, password)
    if user is None or not valid or user.disabled:
        throttle.failed(name)
        context["error"] = "wrong user name or password"
        return render(request, "login.html", context, status=401)
    throttle.succeeded(name)
    token = auth.start_session(session, user, request.app.state.settings.session_hours)
    session.commit()
    response = RedirectResponse(local_target(next, HOME.get(user.role, "/")), status_code=303)
    response.set_cookie(
        auth.SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        max_age=int(request.app.state.settings.session_hours * 3600),
        path="/",
    )
    response.delete_cookie(auth.LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(
    request: Request,
    session: Annotated[Session, Depends(db_session)],
    user: Annotated[auth.CurrentUser, Depends(auth.any_user)],
) -> Response:
    auth.end_session(session, user.session_id)
    session.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(auth.SESSION_COOKIE, path="/")
    return response
