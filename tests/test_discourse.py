"""The Discourse adapter against recorded discourse_api responses."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from signals.replay import ReplayServer, Route
from sources import Cursor, HttpClient, HttpSettings, ParseError
from sources.discourse import DiscourseSource

FIXTURES = Path(__file__).parent / "fixtures" / "discourse"
LOCAL = frozenset({"127.0.0.1"})


def _json(name: str) -> Route:
    body = (FIXTURES / name).read_bytes()
    return Route(body=body, content_type="application/json", conditional=False)


def _fetch(source: DiscourseSource, cursor: Cursor | None = None):  # type: ignore[no-untyped-def]
    with HttpClient(HttpSettings(allow_hosts=LOCAL)) as http:
        return source.fetch(http, cursor or Cursor())


def test_topic_url_reads_every_post_including_the_rest_of_the_stream(
    replay: ReplayServer,
) -> None:
    replay.routes["/t/57.json"] = _json("topic_first_page.derived.json")
    replay.routes["/t/57/posts.json"] = _json("topic_rest.derived.json")
    source = DiscourseSource.for_target(replay.url("/t/this-site-is-a-sandbox/57"), None)
    result = _fetch(source)
    # Post 84 is a moderator action ("This topic is now pinned"), not somebody's post.
    summary = [(p.external_id, p.author, p.parent_id) for p in result.posts]
    assert summary == [
        ("83", "samsaffron", None),
        ("86", "stienman", "83"),
        ("226", "splattne", "83"),
    ]
    first, _, last = result.posts
    assert first.title == "THIS SITE IS A SANDBOX -- it is reset every day"
    assert first.text.startswith("Welcome!\n\nTry is a sandbox, a safe place to play")
    assert first.published == datetime(2013, 2, 4, 20, 26, 26, 278000, tzinfo=UTC)
    thread = replay.url("/t/this-site-is-a-sandbox-it-is-reset-every-day/57")
    assert last.url == f"{thread}/14"
    assert last.thread_url == thread
    assert last.text.startswith("What? So I have to post this every day?")
    assert last.author_url == replay.url("/u/splattne")
    rest = [r for r in replay.requests if r.path.startswith("/t/57/posts.json")]
    assert len(rest) == 1
    assert parse_qs(urlsplit(rest[0].path).query)["post_ids[]"] == ["86", "226"]


def test_stream_is_fetched_in_chunks(replay: ReplayServer) -> None:
    replay.routes["/t/57.json"] = _json("topic_first_page.derived.json")
    replay.routes["/t/57/posts.json"] = _json("topic_rest.derived.json")
    source = DiscourseSource(url=replay.url(""), topic=57, chunk_size=1, backfill_days=0)
    _fetch(source)
    chunks = [parse_qs(urlsplit(r.path).query)["post_ids[]"] for r in replay.requests[1:]]
    assert chunks == [["86"], ["226"]]


def test_latest_then_second_crawl_requests_only_the_listing(replay: ReplayServer) -> None:
    replay.routes["/latest.json"] = _json("latest.json")
    replay.routes["/t/1.json"] = _json("topic.json")
    source = DiscourseSource(url=replay.url(""), backfill_days=0)
    first = _fetch(source)
    assert [p.external_id for p in first.posts] == ["83", "86", "226"]
    assert [r.path for r in replay.requests] == ["/latest.json", "/t/1.json"]
    second = _fetch(source, first.cursor)
    assert second.posts == ()
    assert [r.path for r in replay.requests][2:] == ["/latest.json"]  # nothing new: no topic


def test_first_crawl_skips_posts_older_than_backfill(replay: ReplayServer) -> None:
    replay.routes["/latest.json"] = _json("latest.json")
    replay.routes["/t/1.json"] = _json("topic.json")
    assert _fetch(DiscourseSource(url=replay.url(""), backfill_days=30)).posts == ()


def test_category_and_search_use_their_endpoints(replay: ReplayServer) -> None:
    replay.routes["/c/support/l/latest.json"] = _json("latest.json")
    replay.routes["/search.json"] = _json("search.json")
    replay.routes["/t/1.json"] = _json("topic.json")
    category = _fetch(DiscourseSource(url=replay.url(""), category="support", backfill_days=0))
    assert len(category.posts) == 3
    found = _fetch(DiscourseSource(url=replay.url(""), search="sandbox", backfill_days=0))
    # Topics 2 and 3 of the search are not served: recorded as warnings, the rest still read.
    assert [p.external_id for p in found.posts] == ["83", "86", "226"]
    assert found.warnings == (
        "topic 2 is gone or private (HTTP 404)",
        "topic 3 is gone or private (HTTP 404)",
    )
    search = next(r for r in replay.requests if r.path.startswith("/search.json"))
    assert parse_qs(urlsplit(search.path).query)["q"] == ["sandbox"]


def test_unknown_keys_and_missing_fields_do_not_crash(replay: ReplayServer) -> None:
    topic = {"id": 5, "surprise": {}, "post_stream": {"posts": [{"id": 9, "post_number": 1}]}}
    replay.routes["/t/5.json"] = Route(body=json.dumps(topic).encode(), conditional=False)
    result = _fetch(DiscourseSource(url=replay.url(""), topic=5, backfill_days=0))
    assert [(p.external_id, p.text, p.author, p.title) for p in result.posts] == [
        ("9", "", None, None)
    ]


def test_malformed_listing_is_a_parse_error(replay: ReplayServer) -> None:
    replay.routes["/latest.json"] = Route(body=b'{"topic_list": [1, 2]}', conditional=False)
    with pytest.raises(ParseError, match="topic_list"):
        _fetch(DiscourseSource(url=replay.url("")))


def test_discourse_429_waits_for_retry_after_then_reads(replay: ReplayServer) -> None:
    from tests.clock import FakeClock

    clock = FakeClock()
    replay.clock = clock
    replay.routes["/t/57.json"] = _json("topic.json")
    limited = Route(
        status=429,
        body=b'{"errors": ["too many"]}',
        headers={"Retry-After": "15"},
        conditional=False,
    )
    replay.queue("/t/57.json", limited)
    source = DiscourseSource(url=replay.url(""), topic=57, backfill_days=0)
    with HttpClient(HttpSettings(allow_hosts=LOCAL), clock=clock) as http:
        result = source.fetch(http, Cursor())
    assert len(result.posts) == 3
    first, second = replay.requests
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 15.0
