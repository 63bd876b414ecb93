"""The Stack Exchange adapter against a recorded API response."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from signals.replay import ReplayServer, Route
from sources import (
    Cursor,
    FetchResult,
    HttpClient,
    HttpSettings,
    ParseError,
    RateLimitedError,
    SourceConfigError,
)
from sources.stackexchange import StackExchangeSource
from tests.clock import FakeClock

FIXTURE = Path(__file__).parent / "fixtures" / "stackexchange" / "questions_html.trimmed.json"
LOCAL = frozenset({"127.0.0.1"})
SINCE = Cursor(position=json.dumps({"since": 1_000_000_000}))


def _route(body: dict[str, Any] | None = None) -> Route:
    data = json.dumps(body).encode() if body is not None else FIXTURE.read_bytes()
    return Route(body=data, content_type="application/json; charset=utf-8", conditional=False)


def _recorded(**extra: Any) -> dict[str, Any]:
    """The recorded body, plus documented fields no recording had (see PROVENANCE.md)."""
    return {**json.loads(FIXTURE.read_text()), **extra}


def _fetch(source: StackExchangeSource, cursor: Cursor = SINCE, clock: Any = None) -> FetchResult:
    with HttpClient(HttpSettings(allow_hosts=LOCAL), clock=clock) as http:
        return source.fetch(http, cursor)


def _query(path: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(path).query)


def test_site_and_tag_read_questions_exactly(replay: ReplayServer) -> None:
    replay.routes["/questions"] = _route()
    source = StackExchangeSource.for_target("stackoverflow:html", replay.url(""))
    result = _fetch(StackExchangeSource(**{**vars(source), "max_pages": 1}))
    assert [p.external_id for p in result.posts] == [
        "q40332332",
        "q40332727",
        "q40332798",
        "q40332211",
        "q40332777",
        "q6492683",
    ]
    first, *_, last = result.posts
    assert first.author == "Leff"
    assert first.author_url == "http://stackoverflow.com/users/7071069/leff"
    assert first.title == first.text == "CSS - off canvas issue"  # default filter: no body
    assert first.published == datetime.fromtimestamp(1477852870, UTC)
    assert first.url == "http://stackoverflow.com/questions/40332332/css-off-canvas-issue"
    assert first.community == "stackoverflow"
    assert last.title == "How to detect DIV's dimension changed?"
    query = _query(replay.requests[0].path)
    assert query["site"] == ["stackoverflow"]
    assert query["tagged"] == ["html"]
    assert query["fromdate"] == ["1000000001"]
    assert query["filter"] == ["withbody"]


def test_has_more_reads_the_next_page_up_to_max_pages(replay: ReplayServer) -> None:
    replay.routes["/questions"] = _route()
    result = _fetch(StackExchangeSource(site="stackoverflow", api_url=replay.url(""), max_pages=2))
    assert [_query(r.path).get("page") for r in replay.requests] == [["1"], ["2"]]
    assert len(result.posts) == 6  # the same questions twice are kept once


def test_second_crawl_asks_only_for_newer_questions(replay: ReplayServer) -> None:
    replay.routes["/questions"] = _route(_recorded(has_more=False))
    source = StackExchangeSource(site="stackoverflow", api_url=replay.url(""))
    first = _fetch(source)
    _fetch(source, first.cursor)
    assert _query(replay.requests[1].path)["fromdate"] == [str(1477856087 + 1)]


def test_backoff_in_the_body_holds_the_next_call(replay: ReplayServer) -> None:
    clock = FakeClock()
    replay.clock = clock
    replay.routes["/questions"] = _route(_recorded(has_more=False, backoff=10))
    replay.routes["/questions/40332332;40332727;40332798;40332211;40332777;6492683/answers"] = (
        _route({"items": [], "has_more": False, "quota_remaining": 9990})
    )
    source = StackExchangeSource(site="stackoverflow", api_url=replay.url(""), answers=True)
    _fetch(source, clock=clock)
    questions, answers = replay.requests
    assert answers.path.startswith("/questions/40332332;")
    assert answers.at - questions.at >= 10.0


def test_spent_quota_stops_until_midnight_utc(replay: ReplayServer) -> None:
    clock = FakeClock()
    replay.clock = clock
    replay.routes["/questions"] = _route({"items": [], "quota_max": 300, "quota_remaining": 0})
    source = StackExchangeSource(site="stackoverflow", api_url=replay.url(""))
    with pytest.raises(RateLimitedError, match="quota is spent") as caught:
        _fetch(source, clock=clock)
    assert caught.value.retry_at % 86_400 == 0
    assert caught.value.retry_at > clock.now()


def test_search_uses_search_advanced(replay: ReplayServer) -> None:
    replay.routes["/search/advanced"] = _route(_recorded(has_more=False))
    source = StackExchangeSource.for_target(
        "softwarerecs:search:crm for nonprofits", replay.url("")
    )
    assert len(_fetch(source).posts) == 6
    query = _query(replay.requests[0].path)
    assert query["q"] == ["crm for nonprofits"]
    assert query["site"] == ["softwarerecs"]


def test_unknown_keys_and_missing_fields_do_not_crash(replay: ReplayServer) -> None:
    body = {
        "items": [{"question_id": 7, "new": 1, "creation_date": "soon"}, {"owner": "odd"}],
        "quota_remaining": "x",
    }
    replay.routes["/questions"] = _route(body)
    result = _fetch(StackExchangeSource(site="stackoverflow", api_url=replay.url("")))
    assert [(p.external_id, p.text, p.author) for p in result.posts] == [("q7", "", None)]


def test_error_page_is_a_parse_error(replay: ReplayServer) -> None:
    replay.routes["/questions"] = Route(body=b"<html>down</html>", conditional=False)
    with pytest.raises(ParseError, match="expected JSON"):
        _fetch(StackExchangeSource(site="stackoverflow", api_url=replay.url("")))


# Error bodies in the documented shape (https://api.stackexchange.com/docs/error-handling);
# no recorded error response was found.
def _error(status: int, error_id: int, name: str, message: str) -> Route:
    body = {"error_id": error_id, "error_name": name, "error_message": message}
    return Route(body=json.dumps(body).encode(), status=status, conditional=False)


def test_bad_site_is_a_config_error_with_the_api_message(replay: ReplayServer) -> None:
    replay.routes["/questions"] = _error(400, 400, "bad_parameter", "No site found for name `sof`")
    with pytest.raises(SourceConfigError, match="No site found for name `sof`"):
        _fetch(StackExchangeSource(site="sof", api_url=replay.url("")))
    assert len(replay.requests) == 1


def test_throttle_violation_holds_the_host_for_the_given_time(replay: ReplayServer) -> None:
    clock = FakeClock()
    replay.routes["/questions"] = _error(
        400,
        502,
        "throttle_violation",
        "too many requests from this IP, more requests available in 3600 seconds",
    )
    source = StackExchangeSource(site="stackoverflow", api_url=replay.url(""))
    with HttpClient(HttpSettings(allow_hosts=LOCAL), clock=clock) as http:
        with pytest.raises(RateLimitedError, match="available in 3600 seconds") as caught:
            source.fetch(http, SINCE)
        assert caught.value.retry_at == pytest.approx(clock.now() + 3600)
        with pytest.raises(RateLimitedError):  # held: the next crawl sends nothing
            source.fetch(http, SINCE)
    assert len(replay.requests) == 1
