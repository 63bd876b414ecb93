"""Bluesky searchPosts over real HTTP on 127.0.0.1, with a real postView from the network."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from typer.testing import CliRunner

from signals.cli import app
from signals.replay import ReplayServer, Route
from sources import Cursor, HttpClient, HttpSettings, ParseError, SourceConfigError, build_source
from sources.bluesky import BlueskySource, web_url
from tests.conftest import FIXTURES

BLUESKY = FIXTURES / "bluesky"
SEARCH = "/xrpc/app.bsky.feed.searchPosts"
JSON = "application/json; charset=utf-8"
URI = "at://did:plc:kvwvcn5iqfooopmyzvb4qzba/app.bsky.feed.post/3kaheyt6vpc22"


def _client() -> HttpClient:
    return HttpClient(HttpSettings(allow_hosts=frozenset({"127.0.0.1"})))


def _query(path: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(path).query)


def _serve(replay: ReplayServer, name: str = "searchPosts_one_post.derived.json") -> None:
    replay.routes[SEARCH] = Route(
        body=(BLUESKY / name).read_bytes(), content_type=JSON, conditional=False
    )


def test_search_yields_posts_with_web_urls_authors_and_times(replay: ReplayServer) -> None:
    _serve(replay)
    source = BlueskySource("python sdk", base_url=replay.url(""), backfill_days=None)
    with _client() as http:
        result = source.fetch(http, Cursor())
    (post,) = result.posts
    assert post.external_id == URI
    assert post.url == "https://bsky.app/profile/test.marshal.dev/post/3kaheyt6vpc22"
    assert post.thread_url == post.url and post.parent_id is None
    assert post.author == "test.marshal.dev"
    assert post.author_url == "https://bsky.app/profile/test.marshal.dev"
    assert post.published == datetime(2023, 9, 28, 12, 49, 36, 735000, tzinfo=UTC)
    assert post.text == ""  # the recorded post is an image with a quoted post and no text
    assert _query(replay.requests[0].path) == {
        "q": ["python sdk"],
        "sort": ["latest"],
        "limit": ["100"],
    }
    assert result.cursor.position == "2023-09-28T12:49:36.736Z"


def test_next_crawl_starts_its_window_after_the_newest_post(replay: ReplayServer) -> None:
    _serve(replay)
    source = BlueskySource("python sdk", base_url=replay.url(""), until="2024-01-01")
    with _client() as http:
        backfill = source.fetch(http, Cursor())
        # This server ignores `since`: the 2023 post is older than the 7-day backfill window.
        assert backfill.posts == ()
        first = BlueskySource("python sdk", base_url=replay.url(""), backfill_days=None).fetch(
            http, Cursor()
        )
        again = source.fetch(http, first.cursor)
    assert again.posts == ()  # the post seen already is not new
    windows = [_query(r.path) for r in replay.requests]
    assert windows[0]["since"][0] > "2026"  # a 7-day backfill window
    assert "since" not in windows[1]
    assert windows[2]["since"] == ["2023-09-28T12:49:36.736Z"]
    assert windows[2]["until"] == ["2024-01-01"]


def test_pagination_follows_the_cursor_and_is_bounded(replay: ReplayServer) -> None:
    _serve(replay, "searchPosts_with_cursor.derived.json")
    source = BlueskySource("python sdk", base_url=replay.url(""), max_pages=3, backfill_days=None)
    with _client() as http:
        result = source.fetch(http, Cursor())
    assert len(result.posts) == 1  # the same post on every page is yielded once
    cursors = [_query(r.path).get("cursor") for r in replay.requests]
    assert cursors == [None, ["page-2"], ["page-2"]]


def test_reply_links_come_from_the_record(replay: ReplayServer) -> None:
    view = json.loads((BLUESKY / "searchPosts_one_post.derived.json").read_text())["posts"][0]
    root = "at://did:plc:kvwvcn5iqfooopmyzvb4qzba/app.bsky.feed.post/3kahesw26il2z"
    view["record"]["reply"] = {"root": {"uri": root}, "parent": {"uri": root}}
    replay.routes[SEARCH] = Route(body=json.dumps({"posts": [view]}).encode(), content_type=JSON)
    with _client() as http:
        (post,) = BlueskySource.for_target("x", replay.url("")).fetch(http, Cursor()).posts
    assert post.parent_id == root
    assert post.thread_url == (
        "https://bsky.app/profile/did:plc:kvwvcn5iqfooopmyzvb4qzba/post/3kahesw26il2z"
    )


def test_unknown_keys_missing_fields_and_malformed_bodies(replay: ReplayServer) -> None:
    odd = {"posts": [{"uri": URI, "future": 1}, "junk", {"no": "uri"}], "hitsTotal": 3}
    replay.routes[SEARCH] = Route(body=json.dumps(odd).encode(), content_type=JSON)
    with _client() as http:
        (post,) = BlueskySource.for_target("x", replay.url("")).fetch(http, Cursor()).posts
        assert (post.text, post.author, post.published) == ("", None, None)
        replay.routes[SEARCH] = Route(body=b'{"error":"BadQueryString"}', content_type=JSON)
        with pytest.raises(ParseError, match="no posts list"):
            BlueskySource("x", base_url=replay.url("")).fetch(http, Cursor())


def test_web_url_and_settings() -> None:
    assert web_url("at://did:plc:x/app.bsky.feed.like/1") is None
    with pytest.raises(SourceConfigError, match="query must not be empty"):
        build_source("bluesky", {"query": "  "})
    assert isinstance(build_source("bluesky", {"query": "crm"}), BlueskySource)


def test_fetch_command_works_against_a_local_appview(replay: ReplayServer) -> None:
    _serve(replay)
    result = CliRunner().invoke(
        app,
        ["fetch", "bluesky", "sdk", "--base-url", replay.url("/"), "--allow-host", "127.0.0.1"],
    )
    assert result.exit_code == 0, result.stderr
    (line,) = result.stdout.splitlines()
    assert json.loads(line)["external_id"] == URI
    assert json.loads(line)["published"] == "2023-09-28T12:49:36Z"
