"""Logins, session cookies, CSRF tokens and role checks."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from fastapi import Request
from sqlmodel import Session, col, delete, select

from signals.store.columns import utcnow
from signals.store.models_web import User, WebSession

if TYPE_CHECKING:
    from collections.abc import Callable

SESSION_COOKIE = "signals_session"
LOGIN_CSRF_COOKIE = "signals_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class NotLoggedIn(Exception):
    """The request has no valid session."""


class Forbidden(Exception):
    """The user lacks the role this page needs."""


class CsrfRefused(Exception):
    """A state-changing request came without the session's CSRF token."""


@dataclass(frozen=True)
class CurrentUser:
    """Who is logged in, and the CSRF token of their session."""

    id: int
    name: str
    role: str
    csrf_token: str
    session_id: int

    def has_role(self, *roles: str) -> bool:
        return self.role == "admin" or self.role in roles


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: User, hours: float) -> str:
    """A new login for user (not committed); returns the cookie value."""
    assert user.id is not None
    token = secrets.token_urlsafe(32)
    now = utcnow()
    # Expired logins are swept here, so the table never grows without bound.
    session.exec(delete(WebSession).where(col(WebSession.expires_at) < now))
    session.add(
        WebSession(
            token_hash=_digest(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            expires_at=now + timedelta(hours=hours),
        )
    )
    return token


def end_session(session: Session, session_id: int) -> None:
    """Forget a login (not committed)."""
    session.exec(delete(WebSession).where(col(WebSession.id) == session_id))


def user_for_token(session: Session, token: str | None) -> CurrentUser | None:
    """The logged-in user behind a cookie value, if the login is valid and not expired."""
    if not token:
        return None
    row = session.exec(
        select(WebSession, User)
        .join(User, col(User.id) == col(WebSession.user_id))
        .where(WebSession.token_hash == _digest(token))
        .where(col(WebSession.expires_at) > utcnow())
        .where(col(User.disabled).is_(False))
    ).first()
    if row is None:
        return None
    web_session, user = row
    assert user.id is not None
    assert web_session.id is not None
    return CurrentUser(user.id, user.name, user.role, web_session.csrf_token, web_session.id)


def tokens_match(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison that refuses empty tokens."""
    return bool(expected and given) and hmac.compare_digest(str(expected), str(given))


async def submitted_csrf(request: Request) -> str | None:
    """The CSRF token a request carries, from the header or the form field."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


def require_role(*roles: str) -> Callable[[Request], CurrentUser]:
    """A dependency that needs a login with one of roles (admin always passes)."""

    def dependency(request: Request) -> CurrentUser:
        user: CurrentUser | None = request.state.user
        if user is None:
            raise NotLoggedIn()
        if roles and not user.has_role(*roles):
            raise Forbidden()
        return user

    return dependency


any_user = require_role()


class LoginThrottle:
    """Refuses a user name after too many failed logins in a window (one process, in memory)."""

    def __init__(self, attempts: int = 5, window_seconds: float = 900.0) -> None:
        self.attempts = attempts
        self.window = window_seconds
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, name: str) -> bool:
        with self._lock:
            return len(self._recent(name)) >= self.attempts

    def failed(self, name: str) -> None:
        with self._lock:
            self._failures[name] = [*self._recent(name), time.monotonic()]

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failures.pop(name, None)

    def _recent(self, name: str) -> list[float]:
        since = time.monotonic() - self.window
        return [t for t in self._failures.get(name, []) if t > since]
