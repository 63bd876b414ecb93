"""`signals sources list | add | test | health | recheck` against a replay server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from signals.cli import app
from signals.config import load_settings
from signals.replay import ReplayServer, Route
from signals.store import models as db
from signals.store.engine import make_engine
from sources import HttpClient, HttpSettings
from sources.hackernews import HackerNewsSource

FIXTURES = Path(__file__).parent / "fixtures"
HEADER = "# my sources, with comments that must survive `sources add`\n"


def _json(body: bytes, status: int = 200) -> Route:
    return Route(body=body, status=status, content_type="application/json", conditional=False)


@pytest.fixture
def config(tmp_path: Path, replay: ReplayServer) -> Path:
    directory = tmp_path / "config"
    directory.mkdir()
    (directory / "signals.toml").write_text(
        HEADER
        + '[http]\nallow_hosts = ["127.0.0.1"]  # the replay server\n\n'
        + "[[sources]]\n"
        + 'name = "sandbox"\nkind = "discourse"\n'
        + f'url = "{replay.url("")}"\ntopic = 57\nbackfill_days = 0\ninterval = 60\n',
        encoding="utf-8",
    )
    replay.routes["/t/57.json"] = _json((FIXTURES / "discourse/topic.json").read_bytes())
    return directory


def _invoke(config: Path, tmp_path: Path, *args: str) -> tuple[int, str, str]:
    database = f"sqlite:///{tmp_path / 'signals.db'}"
    result = CliRunner().invoke(app, ["--config", str(config), "--db", database, *args])
    return result.exit_code, result.stdout, result.stderr


def test_list_shows_configured_sources(config: Path, tmp_path: Path) -> None:
    code, out, _ = _invoke(config, tmp_path, "sources", "list", "--json")
    assert code == 0
    (record,) = [json.loads(line) for line in out.splitlines()]
    assert (record["name"], record["kind"], record["interval"]) == ("sandbox", "discourse", 60.0)
    assert json.loads(record["settings"])["topic"] == 57


def test_add_validates_fetches_once_and_keeps_comments(
    config: Path, tmp_path: Path, replay: ReplayServer
) -> None:
    replay.routes["/questions"] = _json(
        (FIXTURES / "stackexchange/questions_html.trimmed.json").read_bytes()
    )
    code, out, err = _invoke(
        config,
        tmp_path,
        "sources",
        "add",
        "SO html",
        "stackexchange",
        "site=stackoverflow",
        "tag=html",
        f'api_url="{replay.url("")}"',
        "max_pages=1",
        "backfill_days=0",
        "--interval",
        "300",
    )
    assert code == 0, err
    assert "SO html: 6 posts" in out
    assert len(replay.requests_to("/questions")) == 1
    text = (config / "signals.toml").read_text()
    assert text.startswith(HEADER)
    assert "# the replay server" in text
    added = load_settings(config).sources[-1]
    assert (added.name, added.kind, added.interval) == ("SO html", "stackexchange", 300.0)
    assert added.settings["max_pages"] == 1
    assert added.settings["site"] == "stackoverflow"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x", "stackexchange", "site=so", "colour=red"], "unknown setting 'colour'"),
        (["x", "stackexchange", "site=so", "max_pages=lots"], "max_pages must be an integer"),
        (["x", "rsss", "url=https://e.com"], "unknown source kind 'rsss'"),
        (["sandbox", "stackexchange", "site=so"], "'sandbox' exists already"),
        (["x", "stackexchange", "oops"], "must be KEY=VALUE"),
    ],
)
def test_add_refuses_bad_settings_and_leaves_the_file_alone(
    config: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    before = (config / "signals.toml").read_text()
    code, _, err = _invoke(config, tmp_path, "sources", "add", *args)
    assert code == 2
    assert err.startswith("error: ") and message in err
    assert len(err.splitlines()) == 1
    assert (config / "signals.toml").read_text() == before


def test_add_with_a_failing_test_fetch_is_not_saved(
    config: Path, tmp_path: Path, replay: ReplayServer
) -> None:
    replay.routes["/latest.json"] = Route(body=b"<html>login required</html>", conditional=False)
    before = (config / "signals.toml").read_text()
    code, _, err = _invoke(
        config, tmp_path, "sources", "add", "broken", "discourse", f'url="{replay.url("")}"'
    )
    assert code == 2
    assert err.startswith("error: test fetch failed, 'broken' not added: expected JSON")
    assert err.rstrip().endswith("(use --no-test to add it anyway)")
    assert (config / "signals.toml").read_text() == before
    assert len(replay.requests_to("/latest.json")) == 1


def test_test_fetches_once_and_stores_nothing(
    config: Path, tmp_path: Path, replay: ReplayServer
) -> None:
    code, out, err = _invoke(config, tmp_path, "sources", "test", "sandbox")
    assert code == 0, err
    assert out.splitlines()[0] == "sandbox: 3 posts"
    assert "83  samsaffron" in out
    assert not (tmp_path / "signals.db").exists()  # the store is not even opened


def test_health_shows_failures_and_next_due(
    config: Path, tmp_path: Path, replay: ReplayServer
) -> None:
    assert _invoke(config, tmp_path, "crawl")[0] == 0
    replay.routes["/t/57.json"] = Route(body=b"<html>maintenance</html>", conditional=False)
    assert _invoke(config, tmp_path, "crawl")[0] == 1
    code, out, _ = _invoke(config, tmp_path, "sources", "health", "--json")
    assert code == 0
    (health,) = [json.loads(line) for line in out.splitlines()]
    assert health["consecutive_failures"] == 1
    assert "expected JSON" in health["last_error"]
    assert health["last_success"] is not None
    assert health["next_due"] > health["last_fetch"]  # backed off: twice the interval


def test_recheck_erases_posts_deleted_at_the_source(
    config: Path, tmp_path: Path, replay: ReplayServer
) -> None:
    assert _invoke(config, tmp_path, "crawl")[0] == 0
    posts = json.loads((FIXTURES / "discourse/topic.json").read_text())["post_stream"]["posts"]
    # Post 86 was deleted (404); 83 is still there; 226's topic answers 410 Gone.
    replay.routes["/posts/83.json"] = _json(json.dumps(posts[0]).encode())
    replay.routes["/posts/226.json"] = _json(b"{}", status=410)
    code, out, err = _invoke(config, tmp_path, "sources", "recheck")
    assert code == 0, err
    assert out.strip() == "sandbox: 3 checked, 2 erased"
    engine = make_engine(f"sqlite:///{tmp_path / 'signals.db'}")
    with Session(engine) as session:
        rows = {p.external_id: p for p in session.scalars(select(db.Post))}
    engine.dispose()
    assert rows["83"].deleted_at is None and rows["83"].author == "samsaffron"
    for gone in ("86", "226"):
        assert rows[gone].deleted_at is not None
        assert (rows[gone].text, rows[gone].author, rows[gone].author_url) == ("", None, None)
    assert all(p.rechecked_at is not None for p in rows.values())


def test_hackernews_recheck_finds_deleted_items(replay: ReplayServer) -> None:
    hn = FIXTURES / "hackernews"
    replay.routes["/item/8863.json"] = _json(
        (hn / "firebase_item_8863_story__extracted_from_README.json").read_bytes()
    )
    replay.routes["/item/1.json"] = _json(b"null")  # Firebase's answer for an unknown item
    replay.routes["/item/2.json"] = _json(b'{"id": 2, "deleted": true, "type": "comment"}')
    source = HackerNewsSource(query="x", items_url=replay.url(""), api_url=replay.url(""))
    with HttpClient(HttpSettings(allow_hosts=frozenset({"127.0.0.1"}))) as http:
        assert source.recheck(http, ["8863", "1", "2", "3"]) == {"1", "2", "3"}


def test_list_never_shows_credentials(config: Path, tmp_path: Path) -> None:
    path = config / "signals.toml"
    path.write_text(
        path.read_text()
        + '\n[[sources]]\nname = "r"\nkind = "reddit"\nsubreddit = "crm"\n'
        + 'client_id = "abc"\nclient_secret = "hunter2"\n',
        encoding="utf-8",
    )
    code, out, _ = _invoke(config, tmp_path, "sources", "list", "--json")
    assert code == 0
    assert "hunter2" not in out
    reddit = json.loads(out.splitlines()[1])
    assert json.loads(reddit["settings"])["client_secret"] == "***"
