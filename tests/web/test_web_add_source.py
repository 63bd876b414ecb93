"""The sources page adds a source as `signals sources add` does: validate, fetch once, write."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import lxml.html
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from webtools import LiveServer, WebClient

from signals.replay import ReplayServer, Route
from signals.store import models as db
from tests.conftest import FIXTURES

Login = Callable[[str], WebClient]
CONFIG = '# our sources\n[http]\nallow_hosts = ["127.0.0.1"]\n'


def _config(server: LiveServer, tmp_path: Path) -> Path:
    directory = tmp_path / "config"
    directory.mkdir()
    (directory / "signals.toml").write_text(CONFIG, encoding="utf-8")
    server.app.state.config_dir = directory
    return directory


def _add(client: WebClient, **form: str) -> tuple[int, str]:
    response = client.post("/sources/add", data={"csrf_token": client.csrf, **form})
    return response.status_code, response.text


def _error(html: str) -> str:
    return " ".join(lxml.html.fromstring(html).xpath("//p[@class='error']/text()"))


def test_admin_adds_a_source_after_one_test_fetch(
    server: LiveServer, as_user: Login, sqlite_engine: Engine, tmp_path: Path, replay: ReplayServer
) -> None:
    directory = _config(server, tmp_path)
    body = (FIXTURES / "rss_atom" / "rss2.0withAtomNS.xml").read_bytes()
    replay.routes["/feed.xml"] = Route(body=body, content_type="application/rss+xml")
    url = replay.url("/feed.xml")
    status, _ = _add(as_user("ada"), name="Vendor blog", kind="rss", settings=f'url="{url}"')
    assert status == 303
    assert len(replay.requests_to("/feed.xml")) == 1
    written = (directory / "signals.toml").read_text(encoding="utf-8")
    assert written.startswith(CONFIG)  # comments and settings kept
    assert 'name = "Vendor blog"' in written and f'url = "{url}"' in written
    with Session(sqlite_engine) as session:
        row = session.exec(select(db.Source).where(db.Source.name == "Vendor blog")).one()
    assert (row.kind, row.settings["url"]) == ("rss", url)


def test_bad_sources_are_one_line_errors_and_change_nothing(
    server: LiveServer, as_user: Login, tmp_path: Path
) -> None:
    directory = _config(server, tmp_path)
    ada = as_user("ada")
    status, html = _add(ada, name="x", kind="rsss", settings="url=https://e.test/f")
    assert status == 400
    assert _error(html).startswith("unknown source kind 'rsss'; known: ")
    status, html = _add(ada, name="x", kind="rss", settings='url="http://10.0.0.1/feed"')
    assert status == 400
    assert "test fetch failed, 'x' not added" in _error(html)
    assert "10.0.0.1" in _error(html)
    status, html = _add(ada, name="x", kind="rss", settings="url", interval="soon")
    assert (status, _error(html)) == (400, "interval 'soon' is not a number of seconds")
    assert (directory / "signals.toml").read_text(encoding="utf-8") == CONFIG


def test_only_an_admin_adds_sources(server: LiveServer, as_user: Login, tmp_path: Path) -> None:
    directory = _config(server, tmp_path)
    status, _ = _add(as_user("mara"), name="x", kind="rss", settings="url=https://e.test/f")
    assert status == 403
    assert (directory / "signals.toml").read_text(encoding="utf-8") == CONFIG
    assert "Add a source" not in as_user("mara").get("/sources").text
    assert "Add a source" in as_user("ada").get("/sources").text


def test_adding_a_source_needs_the_csrf_token(
    server: LiveServer, as_user: Login, tmp_path: Path
) -> None:
    directory = _config(server, tmp_path)
    response = as_user("ada").post(
        "/sources/add", data={"name": "x", "kind": "rss", "settings": "url=https://e.test/f"}
    )
    assert response.status_code == 403
    assert (directory / "signals.toml").read_text(encoding="utf-8") == CONFIG
