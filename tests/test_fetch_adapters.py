"""`signals fetch KIND TARGET --base-url URL` for every API adapter, against the replay server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from signals.cli import app
from signals.replay import ReplayServer, Route
from tests.cassettes import interactions, serve_cassette

FIXTURES = Path(__file__).parent / "fixtures"


def _json(path: Path) -> Route:
    return Route(body=path.read_bytes(), content_type="application/json", conditional=False)


def _fetch(replay: ReplayServer, *args: str) -> list[dict[str, object]]:
    options = ["--base-url", replay.url(""), "--allow-host", "127.0.0.1"]
    result = CliRunner().invoke(app, ["fetch", *args, *options])
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_fetch_reddit_subreddit(replay: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDDIT_CLIENT_ID", "test-client")
    monkeypatch.setenv("REDDIT_CLIENT_SECRET", "test-secret")
    serve_cassette(replay, FIXTURES / "reddit/TestSubredditListings.test_new.json")
    # The subreddit's comments: a real recorded empty listing (recorded for another path).
    empty = interactions(FIXTURES / "reddit/TestListingGenerator.test_no_items.json")[1]
    replay.routes["/r/askreddit/comments/"] = Route(
        body=empty["response"]["body"]["string"].encode(), conditional=False
    )
    posts = _fetch(replay, "reddit", "askreddit", "--limit", "3")
    assert len(posts) == 3
    assert all(p["source"] == "reddit" and str(p["external_id"]).startswith("t3_") for p in posts)
    assert all(p["community"] == "r/AskReddit" for p in posts)


def test_fetch_reddit_comments(replay: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDDIT_CLIENT_ID", "test-client")
    monkeypatch.setenv("REDDIT_CLIENT_SECRET", "test-secret")
    serve_cassette(replay, FIXTURES / "reddit/TestSubmission.test_comments.json")
    posts = _fetch(replay, "reddit", "comments:2gmzqe")
    assert [p["external_id"] for p in posts] == ["t3_2gmzqe", "t1_cklfmye", "t1_cklhv0f"]
    assert posts[2]["parent_id"] == "t1_cklfmye"
    assert posts[0]["published"] == "2014-09-17T06:34:31Z"


def test_fetch_hackernews_query_and_item(replay: ReplayServer) -> None:
    hn = FIXTURES / "hackernews"
    replay.routes["/search_by_date"] = _json(
        hn / "algolia_search__extracted_from_hackernews_test_go.json"
    )
    replay.routes["/item/2921983.json"] = _json(
        hn / "firebase_item_2921983_comment__extracted_from_README.json"
    )
    posts = _fetch(replay, "hackernews", "ssh")
    assert [p["author"] for p in posts][:1] == ["dkua"]
    assert posts[0]["published"] == "2015-01-02T21:05:46Z"
    (comment,) = _fetch(replay, "hackernews", "item:2921983")
    assert (comment["external_id"], comment["parent_id"]) == ("2921983", "2921506")


def test_fetch_stackexchange_tag(replay: ReplayServer) -> None:
    replay.routes["/questions"] = _json(FIXTURES / "stackexchange/questions_html.trimmed.json")
    posts = _fetch(replay, "stackexchange", "stackoverflow:html", "--limit", "2")
    assert [p["external_id"] for p in posts] == ["q40332332", "q40332727"]
    assert [p["author"] for p in posts] == ["Leff", "oerkero"]


def test_fetch_discourse_forum_and_topic(replay: ReplayServer) -> None:
    replay.routes["/latest.json"] = _json(FIXTURES / "discourse/latest.json")
    replay.routes["/t/1.json"] = _json(FIXTURES / "discourse/topic.json")
    posts = _fetch(replay, "discourse", replay.url(""))
    assert [p["external_id"] for p in posts] == ["83", "86", "226"]
    assert posts[0]["published"] == "2013-02-04T20:26:26Z"
    replay.routes["/t/57.json"] = _json(FIXTURES / "discourse/topic.json")
    topic = _fetch(replay, "discourse", replay.url("/t/this-site-is-a-sandbox/57"))
    assert [p["author"] for p in topic] == ["samsaffron", "stienman", "splattne"]
