"""The Hacker News adapter against recorded Algolia and Firebase responses."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from signals.replay import ReplayServer, Route
from sources import Cursor, HttpClient, HttpSettings, ParseError
from sources.hackernews import HackerNewsSource

FIXTURES = Path(__file__).parent / "fixtures" / "hackernews"
SEARCH = FIXTURES / "algolia_search__extracted_from_hackernews_test_go.json"
STORY = FIXTURES / "firebase_item_8863_story__extracted_from_README.json"
COMMENT = FIXTURES / "firebase_item_2921983_comment__extracted_from_README.json"
LOCAL = frozenset({"127.0.0.1"})


def _json_route(path: Path) -> Route:
    return Route(body=path.read_bytes(), content_type="application/json", conditional=False)


def test_query_reads_algolia_hits_exactly(replay: ReplayServer) -> None:
    replay.routes["/search_by_date"] = _json_route(SEARCH)
    source = HackerNewsSource.for_target("ssh", replay.url(""))
    with HttpClient(HttpSettings(allow_hosts=LOCAL)) as http:
        result = source.fetch(http, Cursor(position=json.dumps({"since": 1_400_000_000})))
    hits = json.loads(SEARCH.read_text())["hits"]
    assert [p.external_id for p in result.posts] == [h["objectID"] for h in hits]
    first = result.posts[0]
    assert first.external_id == "8828543"
    assert first.author == "dkua"
    assert first.title == "Why aren’t we using SSH for everything?"
    assert first.text == "Why aren’t we using SSH for everything?"  # a link story: no text
    assert first.published == datetime(2015, 1, 2, 21, 5, 46, tzinfo=UTC)
    assert first.url == first.thread_url == "https://news.ycombinator.com/item?id=8828543"
    assert first.author_url == "https://news.ycombinator.com/user?id=dkua"
    query = parse_qs(urlsplit(replay.requests[0].path).query)
    assert query["query"] == ["ssh"]
    assert query["numericFilters"] == ["created_at_i>1400000000"]


def test_second_crawl_asks_only_for_hits_after_the_newest_one(replay: ReplayServer) -> None:
    replay.routes["/search_by_date"] = _json_route(SEARCH)
    source = HackerNewsSource.for_target("ssh", replay.url(""))
    with HttpClient(HttpSettings(allow_hosts=LOCAL)) as http:
        first = source.fetch(http, Cursor(position=json.dumps({"since": 0})))
        source.fetch(http, first.cursor)
    newest = max(h["created_at_i"] for h in json.loads(SEARCH.read_text())["hits"])
    second = parse_qs(urlsplit(replay.requests[1].path).query)
    assert second["numericFilters"] == [f"created_at_i>{newest}"]


def test_item_reads_the_story_and_walks_its_kids(replay: ReplayServer) -> None:
    replay.routes["/item/8863.json"] = _json_route(STORY)
    source = HackerNewsSource.for_target("item:8863", replay.url(""))
    with HttpClient(HttpSettings(allow_hosts=LOCAL)) as http:
        result = source.fetch(http, Cursor())
    (story,) = result.posts  # the recorded kids are not in the fixtures: Firebase-style 404s
    assert story.external_id == "8863"
    assert story.author == "dhouston"
    assert story.title == "My YC app: Dropbox - Throw away your USB drive"
    assert story.published == datetime.fromtimestamp(1175714200, UTC)
    kids = json.loads(STORY.read_text())["kids"]
    assert [r.path for r in replay.requests] == [f"/item/{n}.json" for n in [8863, *kids]]
    assert result.warnings == (f"{len(kids)} items of the thread could not be read",)


def test_item_comment_keeps_its_parent_and_text(replay: ReplayServer) -> None:
    replay.routes["/item/2921983.json"] = _json_route(COMMENT)
    source = HackerNewsSource(
        item=2921983, items_url=replay.url(""), api_url=replay.url(""), max_items=1
    )
    with HttpClient(HttpSettings(allow_hosts=LOCAL)) as http:
        result = source.fetch(http, Cursor())
    (comment,) = result.posts
    assert comment.parent_id == "2921506"
    assert comment.author == "norvig"
    assert comment.text == (
        "Aw shucks, guys ... you make me blush with your compliments.\n"
        "Tell you what, Ill make a deal: I'll keep writing if you keep reading. K?"
    )
    assert [r.path for r in replay.requests] == ["/item/2921983.json"]  # max_items honoured
    # The next crawl of a thread asks Algolia only for comments newer than the newest read.
    replay.routes["/search_by_date"] = _json_route(SEARCH)
    with HttpClient(HttpSettings(allow_hosts=LOCAL)) as http:
        source.fetch(http, result.cursor)
    query = parse_qs(urlsplit(replay.requests[-1].path).query)
    assert query["tags"] == ["comment,story_2921983"]
    assert query["numericFilters"] == ["created_at_i>1314211127"]


def test_unknown_keys_and_missing_fields_do_not_crash(replay: ReplayServer) -> None:
    body = {"hits": [{"objectID": "1", "brand_new_field": [1]}, {"no_id": True}, "junk"]}
    replay.routes["/search_by_date"] = Route(body=json.dumps(body).encode(), conditional=False)
    source = HackerNewsSource(query="x", api_url=replay.url(""))
    with HttpClient(HttpSettings(allow_hosts=LOCAL)) as http:
        result = source.fetch(http, Cursor())
    assert [(p.external_id, p.text, p.author, p.published) for p in result.posts] == [
        ("1", "", None, None)
    ]


def test_malformed_body_is_a_parse_error(replay: ReplayServer) -> None:
    replay.routes["/search_by_date"] = Route(body=b"<html>oops</html>", conditional=False)
    source = HackerNewsSource(query="x", api_url=replay.url(""))
    with HttpClient(HttpSettings(allow_hosts=LOCAL)) as http, pytest.raises(ParseError):
        source.fetch(http, Cursor())
