"""The whole pipeline over real HTTP: bundled real posts in, signals and contact activity out."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from signals import pipeline
from signals.classifier import load_classifier
from signals.config import Settings
from signals.demo import DEMO_DATA, demo_feeds, demo_server, demo_settings, demo_sources
from signals.people.config import load_scoring
from signals.replay import ReplayServer, Route
from signals.store import models as db
from sources import HttpClient
from tests.conftest import FIXTURES


def _entries_served() -> int:
    """Posts in the bundled feeds: the bundled posts plus the recorded Reddit feed's entries."""
    posts = (DEMO_DATA / "posts.jsonl").read_text(encoding="utf-8").splitlines()
    recorded = sum(
        (DEMO_DATA / "feeds" / f.file).read_bytes().count(b"<entry>")
        for f in demo_feeds()
        if ".recorded." in f.file
    )
    return len(posts) + recorded


@pytest.fixture
def served() -> Iterator[ReplayServer]:
    feeds, apis = demo_sources()
    with demo_server(feeds, apis=apis) as server:
        yield server


@pytest.fixture
def settings(served: ReplayServer, tmp_path: Path) -> Settings:
    feeds, apis = demo_sources()
    return demo_settings(served, feeds, tmp_path / "config", apis)


def _by_kind(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        rows = session.execute(
            select(db.Source.kind, func.count())
            .join(db.Post, db.Post.source_id == db.Source.id)
            .group_by(db.Source.kind)
        ).all()
    return {str(kind): int(count) for kind, count in rows}


def _bundled(community: str) -> list[dict[str, str]]:
    lines = (DEMO_DATA / "posts.jsonl").read_text(encoding="utf-8").splitlines()
    return [row for row in map(json.loads, lines) if row["community"] == community]


def _run(engine: Engine, settings: Settings) -> pipeline.RunReport:
    pipeline.sync_sources(engine, settings.sources)
    with HttpClient(settings.http) as http:
        return pipeline.run(engine, http, load_classifier(settings.directory))


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_run_stores_posts_signals_and_merges_activity(engine: Engine, settings: Settings) -> None:
    report = _run(engine, settings)
    assert report.failed == []
    assert report.new_posts == _count(engine, db.Post) == _entries_served() == 101
    assert report.classify is not None
    assert report.classify.classified == report.new_posts
    assert report.classify.signals == _count(engine, db.Signal) >= 10
    # The demo serves r/nonprofit as a Reddit listing (read by PRAW) and Ask HN as a Discourse
    # forum: those posts came through the reddit and discourse adapters, not the RSS one.
    nonprofit, ask_hn = _bundled("r/nonprofit"), _bundled("news.ycombinator.com (ask)")
    assert (len(nonprofit), len(ask_hn)) == (12, 16)
    assert _by_kind(engine) == {"reddit": 12, "discourse": 16, "rss": 101 - 12 - 16}
    with Session(engine) as session:
        stored = {
            (kind, p.external_id): p
            for kind, p in session.execute(
                select(db.Source.kind, db.Post).join(db.Post, db.Post.source_id == db.Source.id)
            )
        }
    for row in nonprofit:
        post = stored["reddit", "t3_" + row["id"].removeprefix("rt_")]
        assert (post.author, post.url, post.title) == (row["author"], row["url"], row["title"])
        assert post.published_at is not None
        assert post.published_at.strftime("%Y-%m-%dT%H:%M:%SZ") == row["published"]
    for row in ask_hn:
        post = stored["discourse", row["id"].removeprefix("hn_")]
        assert (post.author, post.title) == (row["author"], row["title"])
        assert post.community == "news.ycombinator.com (ask)"
        assert post.published_at is not None
        assert post.published_at.strftime("%Y-%m-%dT%H:%M:%SZ") == row["published"]
        assert " ".join(post.text.split()) == " ".join(row["text"].split())
    with Session(engine) as session:
        unclassified = session.scalar(
            select(func.count()).select_from(db.Post).where(db.Post.classified_at.is_(None))
        )
        authored_signals = session.scalar(
            select(func.count())
            .select_from(db.Signal)
            .join(db.Post, db.Post.id == db.Signal.post_id)
            .where(db.Post.author.is_not(None))
        )
        authors = session.scalar(
            select(func.count(func.distinct(db.Post.author)))
            .select_from(db.Signal)
            .join(db.Post, db.Post.id == db.Signal.post_id)
        )
        activity = session.execute(select(db.Activity).limit(1)).scalar_one()
        signal = session.get_one(db.Signal, activity.signal_id)
        post = session.get_one(db.Post, activity.post_id)
    assert unclassified == 0
    assert _count(engine, db.Activity) == authored_signals
    assert _count(engine, db.Identity) == _count(engine, db.Contact) == authors
    # Typed by its strongest intent (or post/comment) and weighted from config/scoring.toml.
    scoring = load_scoring()
    expected_kind = max(signal.intents, key=lambda i: scoring.activity[i].weight, default="post")
    if not signal.intents and post.parent_external_id:
        expected_kind = "comment"
    assert activity.kind == expected_kind
    assert activity.stage == signal.stage
    assert activity.weight == pytest.approx(
        scoring.activity[expected_kind].weight * signal.confidence
    )
    assert activity.occurred_at == post.published_at
    for item in signal.evidence:
        source_text = post.text if item["field"] == "text" else post.title
        assert source_text[item["start"] : item["end"]] == item["text"]


def test_second_run_sends_conditional_requests_and_inserts_nothing(
    sqlite_engine: Engine, settings: Settings, served: ReplayServer
) -> None:
    _run(sqlite_engine, settings)
    counts = [_count(sqlite_engine, m) for m in (db.Post, db.Signal, db.Activity, db.Contact)]
    before = len(served.requests)
    second = _run(sqlite_engine, settings)
    again = served.requests[before:]
    feeds = [r for r in again if r.path.endswith((".rss", ".atom"))]
    assert len(feeds) == len([s for s in settings.sources if s.kind == "rss"])
    assert all(r.headers.get("if-none-match") for r in feeds)
    assert all(r.status == 304 for r in feeds)
    # The APIs are asked for their listing only: Reddit for what is newer than the newest post
    # read, Discourse's topics all have no post past the one read, so no topic is fetched again.
    apis = sorted(urlsplit(r.path).path for r in again if r not in feeds)
    assert apis == ["/api/v1/access_token", "/forum/latest.json", "/r/nonprofit/new"]
    listing = next(r for r in again if r.path.startswith("/r/nonprofit/new"))
    assert parse_qs(urlsplit(listing.path).query)["before"] == ["t3_1izg6m"]  # the newest
    assert {s.status for s in second.sources if s.kind == "rss"} == {"not modified"}
    assert {s.status for s in second.sources if s.kind != "rss"} == {"ok"}
    assert second.new_posts == 0
    assert [
        _count(sqlite_engine, m) for m in (db.Post, db.Signal, db.Activity, db.Contact)
    ] == counts


def test_each_broken_source_is_recorded_while_the_others_finish(
    sqlite_engine: Engine, settings: Settings, served: ReplayServer, tmp_path: Path
) -> None:
    served.routes["/malformed.xml"] = Route(
        body=(FIXTURES / "rss_atom" / "aaa_illformed.xml").read_bytes()
    )
    served.routes["/error.xml"] = Route(body=b"boom", status=500, conditional=False)
    served.routes["/slow.xml"] = Route(body=b"<rss/>", delay=3.0)
    served.routes["/page.html"] = Route(
        body=b"<!doctype html><html><body><p>Home</p></body></html>", content_type="text/html"
    )
    config = settings.directory / "signals.toml"
    text = config.read_text().replace(
        "[http]", "[http]\nread_timeout = 0.5\nmax_attempts = 1  # retries are tested elsewhere"
    )
    for name in ("malformed.xml", "error.xml", "slow.xml", "page.html"):
        text += f'\n[[sources]]\nname = "{name}"\nkind = "rss"\nurl = "{served.url("/" + name)}"\n'
    config.write_text(text)
    from signals.config import load_settings

    broken = load_settings(settings.directory)
    report = _run(sqlite_engine, broken)
    by_name = {s.name: s for s in report.sources}
    assert by_name["malformed.xml"].error and "not a well-formed" in by_name["malformed.xml"].error
    assert by_name["error.xml"].error and "HTTP 500" in by_name["error.xml"].error
    assert by_name["slow.xml"].error and "timed out" in by_name["slow.xml"].error
    assert by_name["page.html"].error and "HTML page" in by_name["page.html"].error
    assert {s.name for s in report.failed} == {
        "malformed.xml",
        "error.xml",
        "slow.xml",
        "page.html",
    }
    assert all(
        s.status == "ok" for s in report.sources if s.name not in by_name or s not in report.failed
    )
    assert report.classify is not None
    assert report.classify.signals > 0
    with Session(sqlite_engine) as session:
        rows = {r.name: r for r in session.scalars(select(db.Source))}
    for name in ("malformed.xml", "error.xml", "slow.xml", "page.html"):
        assert rows[name].consecutive_failures == 1
        assert rows[name].last_error == by_name[name].error
        assert rows[name].last_success_at is None
    healthy = [r for n, r in rows.items() if n not in by_name or by_name[n].status == "ok"]
    assert all(r.last_success_at is not None and r.consecutive_failures == 0 for r in healthy)


def test_changed_source_settings_reset_its_cursor(
    sqlite_engine: Engine, settings: Settings
) -> None:
    _run(sqlite_engine, settings)
    first = settings.sources[0]
    moved = type(first)(
        first.name, first.kind, {**first.settings, "url": first.settings["url"] + "?v=2"}
    )
    pipeline.sync_sources(sqlite_engine, [moved, *settings.sources[1:]])
    with Session(sqlite_engine) as session:
        row = session.scalars(select(db.Source).where(db.Source.name == first.name)).one()
    assert row.cursor_etag is None
    assert row.settings["url"].endswith("?v=2")
    assert json.dumps(row.settings)
