"""robots.txt per RFC 9309 over real HTTP on 127.0.0.1."""

from __future__ import annotations

import pytest

from signals.replay import ReplayServer, Route
from sources import HttpClient, HttpSettings
from sources.robots import RobotsCache, RobotsDisallowedError, RobotsUnavailableError

ROBOTS = b"""# a comment
User-agent: *
Disallow: /private
Allow: /private/open
Disallow: /*.php$
Disallow: /tie
Allow: /tie

User-agent: Buying-Signals
Disallow: /search
Allow: /search/help
Disallow: /private
"""


def _client() -> HttpClient:
    return HttpClient(HttpSettings(allow_hosts=frozenset({"127.0.0.1"})))


def test_group_for_our_token_longest_match_and_wildcards(replay: ReplayServer) -> None:
    replay.routes["/robots.txt"] = Route(body=ROBOTS, content_type="text/plain")
    cache = RobotsCache()
    with _client() as http:
        verdicts = {
            path: cache.allowed(http, replay.url(path))
            for path in ("/search?q=x", "/search/help", "/private/open", "/tie", "/a.php")
        }
    # Our own group applies (token matched case-insensitively), so `*` rules do not.
    assert verdicts == {
        "/search?q=x": False,
        "/search/help": True,  # longer Allow beats shorter Disallow
        "/private/open": False,  # only our group's rules count
        "/tie": True,
        "/a.php": True,
    }
    assert len(replay.requests_to("/robots.txt")) == 1  # cached per host


def test_star_group_ties_go_to_allow_and_dollar_anchors(replay: ReplayServer) -> None:
    replay.routes["/robots.txt"] = Route(body=ROBOTS.split(b"User-agent: Buying")[0])
    cache = RobotsCache()
    with _client() as http:
        assert cache.allowed(http, replay.url("/tie"))
        assert cache.allowed(http, replay.url("/private/open/x"))
        assert not cache.allowed(http, replay.url("/private/closed"))
        assert not cache.allowed(http, replay.url("/index.php"))
        assert cache.allowed(http, replay.url("/index.php?t=1"))


def test_cache_expires_after_ttl(replay: ReplayServer) -> None:
    replay.routes["/robots.txt"] = Route(body=b"User-agent: *\nDisallow: /x\n", conditional=False)
    now = [0.0]
    cache = RobotsCache(ttl=60, clock=lambda: now[0])
    with _client() as http:
        assert not cache.allowed(http, replay.url("/x"))
        now[0] = 59
        assert not cache.allowed(http, replay.url("/x/1"))
        assert len(replay.requests_to("/robots.txt")) == 1
        replay.routes["/robots.txt"] = Route(body=b"User-agent: *\nAllow: /\n", conditional=False)
        now[0] = 61
        assert cache.allowed(http, replay.url("/x"))
    assert len(replay.requests_to("/robots.txt")) == 2


def test_404_allows_everything(replay: ReplayServer) -> None:
    cache = RobotsCache()
    with _client() as http:
        assert cache.allowed(http, replay.url("/anything"))
        cache.check(http, replay.url("/else"))
    assert [r.status for r in replay.requests_to("/robots.txt")] == [404]


def test_503_skips_the_host_and_is_asked_again_next_round(replay: ReplayServer) -> None:
    replay.routes["/robots.txt"] = Route(body=b"busy", status=503)
    cache = RobotsCache()
    # One attempt per round: the client's own 5xx retries are tested in test_http_politeness.
    settings = HttpSettings(allow_hosts=frozenset({"127.0.0.1"}), max_attempts=1)
    with HttpClient(settings) as http:
        with pytest.raises(RobotsUnavailableError, match="HTTP 503") as raised:
            cache.allowed(http, replay.url("/page"))
        assert "127.0.0.1" in str(raised.value)
        with pytest.raises(RobotsUnavailableError):
            cache.allowed(http, replay.url("/page"))
    assert len(replay.requests_to("/robots.txt")) == 2
    assert replay.requests_to("/page") == []


def test_timeout_skips_the_host(replay: ReplayServer) -> None:
    replay.routes["/robots.txt"] = Route(body=b"User-agent: *\n", delay=1.0)
    settings = HttpSettings(allow_hosts=frozenset({"127.0.0.1"}), read_timeout=0.2)
    with HttpClient(settings) as http, pytest.raises(RobotsUnavailableError, match="unreachable"):
        RobotsCache().allowed(http, replay.url("/page"))


def test_check_names_the_disallowed_url(replay: ReplayServer) -> None:
    replay.routes["/robots.txt"] = Route(body=b"User-agent: *\nDisallow: /\n")
    with _client() as http, pytest.raises(RobotsDisallowedError, match="disallows") as raised:
        RobotsCache().check(http, replay.url("/thread/1"))
    assert raised.value.url == replay.url("/thread/1")
