"""Mastodon adapter over real HTTP on 127.0.0.1, replaying responses recorded from a real server."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from signals.cli import app
from signals.replay import ReplayServer, Route
from sources import Cursor, HttpClient, HttpSettings, HttpStatusError, ParseError, build_source
from sources.errors import SourceConfigError
from sources.mastodon import MastodonSource
from sources.ratelimit import budget_exhausted_until
from tests.conftest import FIXTURES

MASTODON = FIXTURES / "mastodon"
JSON = "application/json; charset=utf-8"


def _client() -> HttpClient:
    return HttpClient(HttpSettings(allow_hosts=frozenset({"127.0.0.1"})))


def _recorded(cassette: str, uri_part: str) -> tuple[bytes, dict[str, str], int]:
    """The body, rate-limit/link headers and status of the first GET whose URI has uri_part."""
    data: Any = yaml.safe_load((MASTODON / cassette).read_text())
    for item in data["interactions"]:
        if item["request"]["method"] == "GET" and uri_part in item["request"]["uri"]:
            response = item["response"]
            keep = ("link", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")
            headers = {k: v[0] for k, v in response["headers"].items() if k.lower() in keep}
            return response["body"]["string"].encode(), headers, response["status"]["code"]
    raise LookupError(uri_part)


def _serve(replay: ReplayServer, path: str, cassette: str, uri_part: str) -> Route:
    body, headers, status = _recorded(cassette, uri_part)
    # Link headers name the recording host; point them at the replay server.
    headers = {k: v.replace("http://localhost:3000", replay.url("")) for k, v in headers.items()}
    headers.pop("x-ratelimit-reset", None)  # recorded resets are in the past: irrelevant here
    route = Route(body=body, status=status, content_type=JSON, headers=headers, conditional=False)
    replay.routes[path] = route
    return route


def test_public_timeline_yields_statuses_as_text_with_authors_and_times(
    replay: ReplayServer,
) -> None:
    _serve(replay, "/api/v1/timelines/public", "test_public_tl.yaml", "timelines/public")
    source = MastodonSource("timeline:public", base_url=replay.url(""))
    with _client() as http:
        result = source.fetch(http, Cursor())
    ids = [p.external_id for p in result.posts]
    assert ids == [
        "117020574694606796",
        "117020582721532745",
        "117020586180926938",
        "117020588169351887",
        "117020588242324937",
        "117020590477318485",
        "117020592137523525",
        "117020593378945190",
    ]
    newest = result.posts[-1]
    assert newest.text == "Toot, finally!"
    assert newest.author == "mastodonpy_test_2"
    assert newest.author_url == "http://localhost:3000/@mastodonpy_test_2"
    assert newest.url == "http://localhost:3000/@mastodonpy_test_2/117020593378945190"
    assert newest.published == datetime(2026, 8, 1, 13, 55, 50, 338000, tzinfo=UTC)
    assert result.posts[-2].text == "you can't say that on television"  # entities decoded
    assert newest.thread_url == newest.url and newest.parent_id is None
    assert result.cursor.position == "117020593378945190"
    (request,) = replay.requests
    assert request.path == "/api/v1/timelines/public?limit=40"


def test_second_crawl_asks_only_for_newer_statuses(replay: ReplayServer) -> None:
    _serve(replay, "/api/v1/timelines/public", "test_public_tl.yaml", "timelines/public")
    source = MastodonSource("timeline:public", base_url=replay.url(""))
    with _client() as http:
        first = source.fetch(http, Cursor())
        replay.routes["/api/v1/timelines/public"] = Route(body=b"[]", content_type=JSON)
        second = source.fetch(http, first.cursor)
    assert second.posts == ()
    assert second.cursor == first.cursor
    assert replay.requests[1].path == (
        "/api/v1/timelines/public?limit=40&min_id=117020593378945190"
    )


def test_hashtag_timeline_and_html_content(replay: ReplayServer) -> None:
    _serve(replay, "/api/v1/timelines/tag/hoot", "test_hashtag_tl.yaml", "timelines/tag/hoot")
    with _client() as http:
        (post,) = MastodonSource("#hoot", base_url=replay.url("")).fetch(http, Cursor()).posts
    assert post.external_id == "117020593741189701"
    assert post.text == "#hoot (hashtag toot)"
    assert post.community == f"127.0.0.1:{replay.port} #hoot"
    assert replay.requests[0].path == "/api/v1/timelines/tag/hoot?limit=40"


def test_search_asks_for_statuses_only(replay: ReplayServer) -> None:
    _serve(replay, "/api/v2/search", "test_search.yaml", "type=statuses")
    with _client() as http:
        result = MastodonSource("mastodonpy_test", base_url=replay.url("")).fetch(http, Cursor())
    assert result.posts == ()
    assert replay.requests[0].path == "/api/v2/search?q=mastodonpy_test&type=statuses&limit=40"


def test_status_and_its_thread(replay: ReplayServer) -> None:
    base = "/api/v1/statuses/109440146735213821"
    replay.routes[base] = Route(
        body=(MASTODON / "status_109440146735213821.json").read_bytes(), content_type=JSON
    )
    replay.routes[base + "/context"] = Route(
        body=(MASTODON / "status_109440146735213821_context.json").read_bytes(),
        content_type=JSON,
    )
    source = MastodonSource("status:109440146735213821", base_url=replay.url(""))
    with _client() as http:
        (post,) = source.fetch(http, Cursor()).posts
    assert post.text == "Toot!"
    assert post.author == "mastodonpy_test"
    assert post.thread_url == "http://localhost:3000/@mastodonpy_test/109440146735213821"
    assert post.published == datetime(2022, 12, 1, 19, 48, 34, 3000, tzinfo=UTC)
    assert [r.path for r in replay.requests] == [base, base + "/context"]


TCHNCS_ROOT = "109303266941599451"


def _serve_tchncs_thread(replay: ReplayServer) -> str:
    base = f"/api/v1/statuses/{TCHNCS_ROOT}"
    for path, name in ((base, ""), (base + "/context", "_context")):
        body = (MASTODON / f"tchncs_status_{TCHNCS_ROOT}{name}.json").read_bytes()
        replay.routes[path] = Route(body=body, content_type=JSON, conditional=False)
    return base


def test_thread_replies_come_out_with_their_parents(replay: ReplayServer) -> None:
    base = _serve_tchncs_thread(replay)
    source = MastodonSource(f"status:{TCHNCS_ROOT}", base_url=replay.url(""))
    with _client() as http:
        result = source.fetch(http, Cursor())
    posts = result.posts
    # Real social.tchncs.de thread: replies to the root, a reply to a reply, a remote reply.
    assert [(p.external_id, p.parent_id, p.author) for p in posts] == [
        (TCHNCS_ROOT, None, "chainsawriot"),
        ("109303349968097604", TCHNCS_ROOT, "chainsawriot"),
        ("109303309876585639", TCHNCS_ROOT, "0xba"),
        ("109303330123967399", "109303309876585639", "chainsawriot"),
        ("109308115318736992", "109303330123967399", "0xba"),
        ("109308119383536793", "109303330123967399", "0xba"),
        ("109303516507953704", "109303349968097604", "bastos@scholar.social"),
    ]
    root_url = "https://social.tchncs.de/@chainsawriot/109303266941599451"
    assert {p.thread_url for p in posts} == {root_url}
    assert posts[0].text == "You probably don't know how much work it took to get this far."
    assert posts[0].published == datetime(2022, 11, 7, 15, 38, 14, 103000, tzinfo=UTC)
    assert posts[2].text == "@chainsawriot Great job 👍 Where are you heading with this?"
    assert posts[4].text == (
        "@chainsawriot R is language is alien to me :mastoshrug:\nWith a friend I just started "
        "to implement a microblog application. Goals: It should run at small scale and "
        "resources, easy to deploy and compatible to ActivityPub federation and also mastodon "
        "api. So after reading docs on activitypub and mastodonapi, I know what you have "
        "already achieved 👍"
    )
    assert posts[5].text == (
        '@chainsawriot The title is "Title: Collecting and Analyzing Mastodon Data" Do you '
        "plan to query public timelines of any/all instances available?"
    )
    remote = posts[6]
    assert remote.url == "https://scholar.social/@bastos/109303516228937871"
    assert remote.author_url == "https://scholar.social/@bastos"
    assert remote.published == datetime(2022, 11, 7, 16, 41, 37, tzinfo=UTC)
    assert remote.text == (
        "@chainsawriot there’s a streaming API?\n\n"
        "https://docs.joinmastodon.org/methods/timelines/streaming/"
    )
    assert result.cursor.position == "109308119383536793"  # the newest id, not the last listed
    assert [r.path for r in replay.requests] == [base, base + "/context"]


def test_thread_recrawl_yields_only_replies_newer_than_the_cursor(replay: ReplayServer) -> None:
    _serve_tchncs_thread(replay)
    source = MastodonSource(f"status:{TCHNCS_ROOT}", base_url=replay.url(""))
    with _client() as http:
        again = source.fetch(http, Cursor(position="109303349968097604"))
    assert [p.external_id for p in again.posts] == [
        "109308115318736992",
        "109308119383536793",
        "109303516507953704",
    ]
    assert [p.parent_id for p in again.posts] == [
        "109303330123967399",
        "109303330123967399",
        "109303349968097604",
    ]


def test_missing_status_is_a_fetch_error(replay: ReplayServer) -> None:
    _serve(replay, "/api/v1/statuses/0", "test_status_missing.yaml", "statuses/0")
    with _client() as http, pytest.raises(HttpStatusError, match="HTTP 404"):
        MastodonSource("status:0", base_url=replay.url("")).fetch(http, Cursor())


def test_malformed_body_is_a_parse_error(replay: ReplayServer) -> None:
    replay.routes["/api/v1/timelines/tag/x"] = Route(body=b"<html>", content_type="text/html")
    with _client() as http, pytest.raises(ParseError, match="malformed JSON"):
        MastodonSource("#x", base_url=replay.url("")).fetch(http, Cursor())


def test_unknown_keys_and_missing_optional_fields_do_not_crash(replay: ReplayServer) -> None:
    statuses = [{"id": "7", "content": "<p>hi</p>", "brand_new_field": {"x": 1}}, "junk", {}]
    replay.routes["/api/v1/timelines/tag/x"] = Route(
        body=json.dumps(statuses).encode(), content_type=JSON
    )
    with _client() as http:
        (post,) = MastodonSource("#x", base_url=replay.url("")).fetch(http, Cursor()).posts
    assert (post.external_id, post.text, post.author, post.published) == ("7", "hi", None, None)


def test_mastodon_iso_reset_is_read_as_the_moment_the_budget_returns() -> None:
    now = datetime(2026, 8, 1, 13, 59, 0, tzinfo=UTC).timestamp()
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "2026-08-01T14:00:00.070144Z"}
    assert budget_exhausted_until(headers, now) == pytest.approx(now + 60.070144)
    assert budget_exhausted_until({**headers, "x-ratelimit-remaining": "299"}, now) is None


def test_exhausted_rate_limit_waits_until_reset_before_the_next_request(
    replay: ReplayServer,
) -> None:
    route = _serve(replay, "/api/v1/timelines/public", "test_public_tl.yaml", "timelines/public")
    reset = datetime.now(UTC) + timedelta(seconds=1.2)
    route.headers["x-ratelimit-remaining"] = "0"
    route.headers["x-ratelimit-reset"] = reset.isoformat().replace("+00:00", "Z")
    next_page = "/api/v1/timelines/public?max_id=117020574694606796"
    replay.routes[next_page] = Route(body=b"[]", content_type=JSON)
    source = MastodonSource("timeline:public", base_url=replay.url(""), limit=8)
    started = time.monotonic()
    with _client() as http:
        result = source.fetch(http, Cursor())
    assert len(result.posts) == 8
    assert [r.path for r in replay.requests][1] == next_page  # followed rel="next"
    assert time.monotonic() - started >= 1.0


def test_rate_limit_too_far_away_stops_with_a_warning(replay: ReplayServer) -> None:
    route = _serve(replay, "/api/v1/timelines/public", "test_public_tl.yaml", "timelines/public")
    route.headers["x-ratelimit-remaining"] = "0"
    route.headers["x-ratelimit-reset"] = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    source = MastodonSource("timeline:public", base_url=replay.url(""), limit=8)
    with _client() as http:
        result = source.fetch(http, Cursor())
    assert len(result.posts) == 8
    assert len(replay.requests) == 1
    assert result.warnings[0].startswith("rate limit exhausted")


def test_settings_are_validated_with_the_fix() -> None:
    with pytest.raises(SourceConfigError, match="status:ID needs a numeric id"):
        build_source("mastodon", {"target": "status:abc"})
    with pytest.raises(SourceConfigError, match="instance URL"):
        build_source("mastodon", {"target": "#x", "base_url": "mastodon.social"})
    assert isinstance(build_source("mastodon", {"target": "#buyers"}), MastodonSource)


def test_fetch_command_works_against_a_local_instance(replay: ReplayServer) -> None:
    _serve(replay, "/api/v1/timelines/tag/hoot", "test_hashtag_tl.yaml", "timelines/tag/hoot")
    result = CliRunner().invoke(
        app,
        ["fetch", "mastodon", "#hoot", "--base-url", replay.url("/"), "--allow-host", "127.0.0.1"],
    )
    assert result.exit_code == 0, result.stderr
    (line,) = result.stdout.splitlines()
    post = json.loads(line)
    assert post["external_id"] == "117020593741189701"
    assert post["published"] == "2026-08-01T13:55:55Z"
    assert post["source"] == "mastodon"
