"""The read API over a real store: token auth, cards, cursor pagination, OpenAPI docs."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from signals.api.read import create_app
from signals.config import Settings
from signals.demo import demo_feeds, demo_server, demo_settings
from signals.people import clock
from signals.people.importer import import_contacts
from signals.store import models as db
from signals.store import schema
from signals.store.engine import make_engine
from tests.people.conftest import NOW, run_pipeline
from tests.people.test_people_worked_example import CSV

TOKEN = "test-token-7f3a"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class ApiClient:
    """Requests through httpx's ASGI transport: the app's real request and response bytes."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def get(
        self, path: str, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        async def request() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as c:
                return await c.get(path, params=params, headers=headers)

        return asyncio.run(request())


def _store(engine: Engine, settings: Settings) -> None:
    run_pipeline(engine, settings)
    with clock.fixed(NOW), Session(engine) as session, session.begin():
        import_contacts(session, CSV, NOW)


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One worked-example store (SQLite) shared by the read-only tests of this module."""
    directory = tmp_path_factory.mktemp("read_api")
    engine = make_engine(f"sqlite:///{directory / 'signals.db'}")
    schema.upgrade(engine)
    with demo_server(demo_feeds()) as server:
        _store(engine, demo_settings(server, demo_feeds(), directory / "config"))
    yield engine
    engine.dispose()


@pytest.fixture
def client(sqlite_store: Engine) -> Iterator[ApiClient]:
    with clock.fixed(NOW):
        yield ApiClient(create_app(sqlite_store, frozenset({TOKEN})))


def _walk(client: ApiClient, path: str, limit: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        response = client.get(path, params=params, headers=AUTH)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= limit
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_every_request_needs_a_configured_token(client: ApiClient, sqlite_store: Engine) -> None:
    assert client.get("/api/contacts").status_code == 401
    wrong = client.get("/api/contacts", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.headers["www-authenticate"] == "Bearer"
    assert client.get("/api/contacts", headers=AUTH).status_code == 200
    unconfigured = ApiClient(create_app(sqlite_store, frozenset()))
    response = unconfigured.get("/api/contacts", headers=AUTH)
    assert response.status_code == 503
    assert "SIGNALS_API_TOKENS" in response.json()["detail"]


def test_pages_walk_every_row_once(engine: Engine, settings: Settings) -> None:
    _store(engine, settings)
    client = ApiClient(create_app(engine, frozenset({TOKEN})))
    activities = _walk(client, "/api/activities", 3)
    assert [a["id"] for a in activities] == sorted({a["id"] for a in activities})
    assert len(activities) == _count(engine, db.Activity)
    signals = _walk(client, "/api/signals", 4)
    assert len(signals) == _count(engine, db.Signal)
    contacts = _walk(client, "/api/contacts", 5)
    with Session(engine) as session:
        live = session.scalar(
            select(func.count()).select_from(db.Contact).where(db.Contact.merged_into_id.is_(None))  # type: ignore[union-attr]
        )
    assert len(contacts) == live
    accounts = _walk(client, "/api/accounts", 2)
    assert {a["domain"] for a in accounts} == {
        "northwind.example",
        "fabrikam.example",
        "contoso.example",
    }


def test_feed_cursor_survives_new_rows(client: ApiClient) -> None:
    first = client.get("/api/activities", params={"limit": 2}, headers=AUTH).json()
    cursor = first["next_cursor"]
    rest = _walk(client, "/api/activities", 50)
    # A cursor is the last id seen: the next page starts right after it, whatever was added.
    after = client.get("/api/activities", params={"cursor": cursor}, headers=AUTH).json()
    assert [a["id"] for a in after["items"]] == [a["id"] for a in rest][2:]
    bad = client.get("/api/activities", params={"cursor": "!!"}, headers=AUTH)
    assert bad.status_code == 400


def test_contact_and_account_cards(client: ApiClient) -> None:
    contacts = _walk(client, "/api/contacts", 100)
    nora = next(c for c in contacts if c["display_name"] == "Nora Wilde")
    one = client.get(f"/api/contacts/{nora['id']}", headers=AUTH).json()
    assert (one["cell"], one["lifecycle_stage"], one["buyer_stage"]) == ("A2", "MQL", "evaluate")
    assert one["identities"] == [
        {"platform": "reddit", "handle": "northnodes", "profile_url": None, "verified": True}
    ]
    explain = client.get(f"/api/contacts/{nora['id']}/explain", headers=AUTH).json()
    assert explain["totals"]["cell"] == "A2"
    assert explain["activities"][0]["url"].startswith("https://www.reddit.com/r/smallbusiness/")
    stages = client.get(f"/api/contacts/{nora['id']}/stages", headers=AUTH).json()
    assert [s["new"] for s in stages] == ["evaluate", "MQL"]
    account = client.get(f"/api/accounts/{one['account_id']}", headers=AUTH).json()
    assert account["name"] == "Northwind Supply"
    assert client.get("/api/contacts/999999", headers=AUTH).status_code == 404
    assert client.get("/api/accounts/999999", headers=AUTH).status_code == 404


def test_openapi_docs_describe_the_routes(client: ApiClient) -> None:
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/contacts", "/api/accounts", "/api/signals", "/api/activities"} <= set(paths)
