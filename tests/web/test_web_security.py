"""Logins, cookies, CSRF, roles and headers, over real HTTP against uvicorn."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import lxml.html
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session
from webtools import PASSWORD, LiveServer, Seeded, WebClient, csrf_from

from signals.store import models as db
from signals.store.models_web import ReviewDecision, WebSession

Login = Callable[[str], WebClient]


def _decisions(engine: Engine) -> int:
    with Session(engine) as session:
        return session.execute(select(func.count()).select_from(ReviewDecision)).scalar_one()


def test_login_sets_an_httponly_samesite_session_cookie(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url) as client:
        page = client.get("/login")
        response = client.post(
            "/login",
            data={"name": "mara", "password": PASSWORD, "csrf_token": csrf_from(page.text)},
        )
    assert response.status_code == 303
    assert response.headers["location"] == "/review"
    cookie = next(
        h for h in response.headers.get_list("set-cookie") if h.startswith("signals_session=")
    )
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert "httponly" in flags
    assert "samesite=lax" in flags
    assert "secure" not in flags  # plain http here; "auto" adds Secure on https


def test_secure_cookies_setting_marks_the_cookie_secure(
    sqlite_engine: Engine, seeded: Seeded
) -> None:
    from signals.web.settings import WebSettings

    with LiveServer(sqlite_engine, WebSettings(secure_cookies=True)) as live:
        with httpx.Client(base_url=live.url) as client:
            page = client.get("/login")
            token = csrf_from(page.text)
            # A Secure cookie is not sent back over plain http, so the test sends it itself.
            response = client.post(
                "/login",
                data={"name": "mara", "password": PASSWORD, "csrf_token": token},
                headers={"Cookie": f"signals_login_csrf={token}"},
            )
    assert "secure" in page.headers["set-cookie"].lower()
    cookie = next(h for h in response.headers.get_list("set-cookie") if "signals_session" in h)
    assert "secure" in {part.strip().lower() for part in cookie.split(";")}


def test_wrong_password_is_refused_and_starts_no_session(
    server: LiveServer, sqlite_engine: Engine
) -> None:
    with httpx.Client(base_url=server.url) as client:
        page = client.get("/login")
        response = client.post(
            "/login",
            data={"name": "mara", "password": "wrong!!!", "csrf_token": csrf_from(page.text)},
        )
        assert response.status_code == 401
        assert "wrong user name or password" in response.text
        assert client.get("/review").status_code == 303  # still sent to the login page
    with Session(sqlite_engine) as session:
        assert session.execute(select(func.count()).select_from(WebSession)).scalar_one() == 0


def test_login_without_its_csrf_token_is_refused(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url) as client:
        client.get("/login")
        response = client.post("/login", data={"name": "mara", "password": PASSWORD})
    assert response.status_code == 403
    assert "signals_session" not in response.headers.get("set-cookie", "")


def test_pages_need_a_login(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url) as client:
        response = client.get("/review?intent=comparison")
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=%2Freview%3Fintent%3Dcomparison"
        assert client.post("/inbox/1/claim", data={}).status_code in (401, 403)


def test_a_decision_without_csrf_token_is_refused_and_stores_nothing(
    as_user: Login, seeded: Seeded, sqlite_engine: Engine
) -> None:
    client = as_user("mara")
    signal_id = seeded.signal_ids[0]
    response = client.post(f"/review/{signal_id}/decision", data={"decision": "accept"})
    assert response.status_code == 403
    assert "CSRF" in response.text
    response = client.post(
        f"/review/{signal_id}/decision",
        data={"decision": "accept", "csrf_token": "forged-token"},
    )
    assert response.status_code == 403
    assert _decisions(sqlite_engine) == 0
    ok = client.post(
        f"/review/{signal_id}/decision",
        data={"decision": "accept", "csrf_token": client.csrf},
    )
    assert ok.status_code == 303
    assert _decisions(sqlite_engine) == 1


def test_csrf_token_of_another_session_is_refused(
    as_user: Login, seeded: Seeded, sqlite_engine: Engine
) -> None:
    mara, ada = as_user("mara"), as_user("ada")
    response = mara.post(
        f"/review/{seeded.signal_ids[0]}/decision",
        data={"decision": "reject"},
        headers={"X-CSRF-Token": ada.csrf},
    )
    assert response.status_code == 403
    assert _decisions(sqlite_engine) == 0


def test_no_state_change_on_get(as_user: Login, seeded: Seeded, sqlite_engine: Engine) -> None:
    client = as_user("ada")
    for path in (
        f"/review/{seeded.signal_ids[0]}/decision?decision=accept",
        f"/inbox/{seeded.post_ids[0]}/claim",
        f"/sources/{seeded.source_ids['hn']}/pause",
        "/logout",
    ):
        assert client.get(path).status_code == 405, path
    assert _decisions(sqlite_engine) == 0
    with Session(sqlite_engine) as session:
        assert session.get_one(db.Source, seeded.source_ids["hn"]).enabled is True


@pytest.mark.parametrize(
    ("name", "path"),
    [("cora", "/review"), ("cora", "/contacts"), ("cora", "/merges"), ("mara", "/inbox")],
)
def test_a_user_without_the_role_is_refused(as_user: Login, name: str, path: str) -> None:
    response = as_user(name).get(path)
    assert response.status_code == 403
    assert "role" in response.text


def test_a_refused_role_changes_nothing(
    as_user: Login, seeded: Seeded, sqlite_engine: Engine
) -> None:
    cora, mara = as_user("cora"), as_user("mara")
    response = cora.post(
        f"/review/{seeded.signal_ids[0]}/decision",
        data={"decision": "reject", "csrf_token": cora.csrf},
    )
    assert response.status_code == 403
    source_id = seeded.source_ids["hn"]
    response = mara.post(
        f"/sources/{source_id}/pause",
        data={"csrf_token": mara.csrf},
    )
    assert response.status_code == 403
    assert _decisions(sqlite_engine) == 0
    with Session(sqlite_engine) as session:
        assert session.get_one(db.Source, source_id).enabled is True


def test_logout_ends_the_session(as_user: Login, sqlite_engine: Engine) -> None:
    client = as_user("mara")
    assert client.get("/review").status_code == 200
    response = client.post("/logout", data={"csrf_token": client.csrf})
    assert response.status_code == 303
    assert client.get("/review").status_code == 303
    with Session(sqlite_engine) as session:
        assert session.execute(select(func.count()).select_from(WebSession)).scalar_one() == 0


def test_login_redirects_only_to_local_paths(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url) as client:
        page = client.get("/login?next=//evil.example/")
        assert 'name="next" value=""' in page.text
        response = client.post(
            "/login",
            data={
                "name": "mara",
                "password": PASSWORD,
                "csrf_token": csrf_from(page.text),
                "next": "https://evil.example/",
            },
        )
    assert response.headers["location"] == "/review"


@pytest.mark.parametrize("path", ["/login", "/review", "/inbox", "/dashboard", "/sources"])
def test_every_page_has_csp_and_no_inline_script(as_user: Login, path: str) -> None:
    response = as_user("ada").get(path)
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    tree = lxml.html.fromstring(response.text)
    for script in tree.iter("script"):
        assert script.get("src", "").startswith("/static/")
        assert not (script.text or "").strip()
    assert not tree.xpath("//style")
    for element in tree.iter():
        if isinstance(element.tag, str):
            assert not [a for a in element.attrib if a.lower().startswith("on")], element.tag
            assert "style" not in element.attrib, element.tag


def test_every_form_carries_the_session_csrf_token(as_user: Login, seeded: Seeded) -> None:
    ada = as_user("ada")
    pages = ["/review", f"/review/{seeded.signal_ids[0]}", "/inbox", "/sources", "/people/forget"]
    forms = 0
    for path in pages:
        tree = lxml.html.fromstring(ada.get(path).text)
        for form in tree.xpath("//form[@method='post']"):
            forms += 1
            assert form.xpath("input[@name='csrf_token']/@value") == [ada.csrf], (path, form.action)
    assert forms > 20


def test_repeated_failed_logins_lock_the_name_for_a_while(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url) as client:
        token = csrf_from(client.get("/login").text)
        statuses = [
            client.post(
                "/login", data={"name": "mara", "password": f"guess{i}", "csrf_token": token}
            ).status_code
            for i in range(6)
        ]
        assert statuses == [401] * 5 + [429]
        # Even the right password is refused until the window passes.
        right = client.post(
            "/login", data={"name": "mara", "password": PASSWORD, "csrf_token": token}
        )
        assert right.status_code == 429
        assert "too many failed logins" in right.text
        other = client.post(
            "/login", data={"name": "cora", "password": PASSWORD, "csrf_token": token}
        )
        assert other.status_code == 303


def test_expired_sessions_and_disabled_users_are_logged_out(
    as_user: Login, sqlite_engine: Engine, seeded: Seeded
) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from signals.store.models_web import User

    mara, cora = as_user("mara"), as_user("cora")
    assert mara.get("/review").status_code == 200
    with Session(sqlite_engine) as session:
        session.execute(
            update(WebSession)
            .where(WebSession.user_id == seeded.user_ids["mara"])  # type: ignore[arg-type]
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        session.execute(
            update(User).where(User.name == "cora").values(disabled=True)  # type: ignore[arg-type]
        )
        session.commit()
    assert mara.get("/review").status_code == 303
    assert cora.get("/inbox").status_code == 303


@pytest.mark.parametrize(
    "target", ["//evil.example/", "/\\evil.example", "/\t/evil.example", "https://evil.example/"]
)
def test_return_paths_never_leave_the_site(target: str) -> None:
    from signals.web.app import local_target

    assert local_target(target, "/review") == "/review"
    assert local_target("/inbox?view=mine", "/review") == "/inbox?view=mine"
