"""The FastAPI application: security headers, logins, CSRF, and the pages' routers."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine
from sqlmodel import Session

from signals.errors import InputError
from signals.web import auth
from signals.web.render import STATIC, environment
from signals.web.settings import WebSettings

# No inline script or style anywhere: scripts and styles come from /static only.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def db_session(request: Request) -> Iterator[Session]:
    """A database session for one request; routes commit what they change."""
    with Session(request.app.state.engine) as session:
        yield session


def _identify(request: Request) -> None:
    """Runs before every route (in the thread pool, it queries): who is logged in."""
    token = request.cookies.get(auth.SESSION_COOKIE)
    with Session(request.app.state.engine) as session:
        request.state.user = auth.user_for_token(session, token)


async def _guard(request: Request) -> None:
    """Runs before every route, after _identify: the CSRF check on every state change."""
    if request.method in auth.SAFE_METHODS:
        return
    given = await auth.submitted_csrf(request)
    user: auth.CurrentUser | None = request.state.user
    # Before login the token is the one set in a cookie by the login page (double submit).
    expected = user.csrf_token if user else request.cookies.get(auth.LOGIN_CSRF_COOKIE)
    if not auth.tokens_match(expected, given):
        raise auth.CsrfRefused()


def local_target(target: str | None, default: str) -> str:
    """target when it is a path on this site, else default (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    # Browsers drop tabs and newlines and read "\\" as "/": "/\t/evil" would leave the site.
    if any(c == "\\" or ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return default
    return target


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def secure_cookies(request: Request) -> bool:
    settings: WebSettings = request.app.state.settings
    if settings.secure_cookies is not None:
        return settings.secure_cookies
    return request.url.scheme == "https"


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    """A page from a template, with the user and their CSRF token in its context."""
    templates: Jinja2Templates = request.app.state.templates
    user: auth.CurrentUser | None = getattr(request.state, "user", None)
    base = {"user": user, "csrf_token": user.csrf_token if user else ""}
    return templates.TemplateResponse(request, template, {**base, **(context or {})}, status)


def _error_page(request: Request, status: int, message: str) -> Response:
    if wants_json(request):
        return JSONResponse({"error": message}, status_code=status)
    return render(request, "error.html", {"status": status, "message": message}, status)


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(auth.NotLoggedIn)
    async def _login_first(request: Request, exc: auth.NotLoggedIn) -> Response:
        if request.method == "GET" and not wants_json(request):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?{_next(target)}", status_code=303)
        return _error_page(request, 401, "log in first")

    @app.exception_handler(auth.Forbidden)
    async def _forbidden(request: Request, exc: auth.Forbidden) -> Response:
        return _error_page(request, 403, "your role does not allow this page or action")

    @app.exception_handler(auth.CsrfRefused)
    async def _csrf(request: Request, exc: auth.CsrfRefused) -> Response:
        return _error_page(
            request, 403, "missing or invalid CSRF token; reload the page and try again"
        )

    @app.exception_handler(InputError)
    async def _input(request: Request, exc: InputError) -> Response:
        return _error_page(request, 400, str(exc))


def _next(target: str) -> str:
    from urllib.parse import urlencode

    return urlencode({"next": target})


def create_app(
    engine: Engine, settings: WebSettings | None = None, config_dir: Path | None = None
) -> FastAPI:
    """The web app and the read API (/api, OpenAPI at /docs) over a migrated store."""
    from signals.api import read as read_api
    from signals.web import (
        routes_alerts,
        routes_auth,
        routes_inbox,
        routes_people,
        routes_review,
        routes_site,
    )

    app = FastAPI(
        title="buying-signals",
        version=_version(),
        dependencies=[Depends(_identify), Depends(_guard)],
        # The read API keeps its docs at /docs (see DESIGN.md); the pages have no schema to show.
        redoc_url=None,
    )
    app.state.engine = engine
    app.state.settings = settings or WebSettings()
    app.state.templates = Jinja2Templates(env=environment())
    app.state.login_throttle = auth.LoginThrottle()

    @app.middleware("http")
    async def _security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.url.scheme == "https":
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if request.url.path == "/docs":  # Swagger UI needs its CDN script and an inline call
            del response.headers["Content-Security-Policy"]
        return response

    _install_handlers(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (
        routes_auth,
        routes_review,
        routes_inbox,
        routes_people,
        routes_site,
        routes_alerts,
    ):
        app.include_router(module.router)

    # The read API: bearer tokens, GET only, so the pages' login and CSRF checks never apply.
    app.state.config_dir = config_dir
    app.include_router(read_api.router)
    return app


def new_login_csrf() -> str:
    return secrets.token_urlsafe(32)


def _version() -> str:
    from signals import __version__

    return __version__
