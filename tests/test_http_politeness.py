"""Retries, backoff, Retry-After, rate-limit budgets and per-host pacing, on the request log."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from email.utils import formatdate

import pytest

from signals.replay import ReplayServer, Route
from sources import (
    ConnectionFailedError,
    HttpClient,
    HttpSettings,
    HttpStatusError,
    RateLimitedError,
)
from sources.ratelimit import budget_exhausted_until, retry_after
from tests.clock import FakeClock

LOCAL = frozenset({"127.0.0.1"})


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def server(clock: FakeClock) -> Iterator[ReplayServer]:
    with ReplayServer(clock=clock) as replay:
        yield replay


def _client(clock: FakeClock, **settings: object) -> HttpClient:
    return HttpClient(HttpSettings(allow_hosts=LOCAL, **settings), clock=clock)  # type: ignore[arg-type]


def test_429_with_retry_after_seconds_waits_before_the_next_request(
    server: ReplayServer, clock: FakeClock
) -> None:
    server.routes["/api"] = Route(body=b"ok", conditional=False)
    server.queue("/api", Route(status=429, headers={"Retry-After": "120"}, conditional=False))
    with _client(clock, max_wait=600) as http:
        assert http.get(server.url("/api")).body == b"ok"
    first, second = server.requests_to("/api")
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 120.0


def test_429_with_retry_after_http_date_waits_until_that_date(
    server: ReplayServer, clock: FakeClock
) -> None:
    when = int(clock.now()) + 300
    server.routes["/api"] = Route(body=b"ok", conditional=False)
    server.queue(
        "/api",
        Route(
            status=429, headers={"Retry-After": formatdate(when, usegmt=True)}, conditional=False
        ),
    )
    with _client(clock, max_wait=600) as http:
        http.get(server.url("/api"))
    first, second = server.requests_to("/api")
    assert first.status == 429
    assert second.at >= when


def test_retry_after_longer_than_max_wait_fails_and_holds_the_host(
    server: ReplayServer, clock: FakeClock
) -> None:
    server.routes["/api"] = Route(status=429, headers={"Retry-After": "3600"}, conditional=False)
    with _client(clock, max_wait=60) as http:
        with pytest.raises(RateLimitedError, match="wait 3") as caught:
            http.get(server.url("/api"))
        assert caught.value.retry_at >= server.requests[0].at + 3600
        with pytest.raises(RateLimitedError):  # the host stays held: no request at all
            http.get(server.url("/other"))
    assert [r.path for r in server.requests] == ["/api"]


def test_503_twice_then_200_makes_exactly_three_requests_with_growing_backoff(
    server: ReplayServer, clock: FakeClock
) -> None:
    server.routes["/flaky"] = Route(body=b"finally", conditional=False)
    busy = Route(status=503, body=b"busy", conditional=False)
    server.queue("/flaky", busy, busy)
    with _client(clock, backoff_seconds=1.0) as http:
        assert http.get(server.url("/flaky")).body == b"finally"
    log = server.requests_to("/flaky")
    assert [r.status for r in log] == [503, 503, 200]
    assert log[1].at - log[0].at >= 1.0
    assert log[2].at - log[1].at >= 2.0  # exponential: the second wait doubles


def test_three_failures_give_up_with_the_last_status(
    server: ReplayServer, clock: FakeClock
) -> None:
    server.routes["/down"] = Route(status=502, body=b"bad gateway", conditional=False)
    with _client(clock) as http, pytest.raises(HttpStatusError) as caught:
        http.get(server.url("/down"))
    assert caught.value.status == 502
    assert len(server.requests_to("/down")) == 3


def test_408_is_retried_but_404_is_not(server: ReplayServer, clock: FakeClock) -> None:
    server.routes["/slow"] = Route(body=b"ok", conditional=False)
    server.queue("/slow", Route(status=408, conditional=False))
    server.routes["/missing"] = Route(status=404, conditional=False)
    with _client(clock) as http:
        assert http.get(server.url("/slow")).body == b"ok"
        with pytest.raises(HttpStatusError):
            http.get(server.url("/missing"))
    assert len(server.requests_to("/slow")) == 2
    assert len(server.requests_to("/missing")) == 1


def test_connection_errors_are_retried_three_times(clock: FakeClock) -> None:
    with socket.socket() as probe:  # a port with nobody listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with _client(clock) as http, pytest.raises(ConnectionFailedError):
        http.get(f"http://127.0.0.1:{port}/")
    assert len(clock.sleeps) >= 2  # two backoffs between three attempts
    assert http.pacer.delay(f"127.0.0.1:{port}") >= 1.0  # the host's gap grew


def test_reddit_budget_spent_holds_the_host_until_reset(
    server: ReplayServer, clock: FakeClock
) -> None:
    spent = {"x-ratelimit-remaining": "0.0", "x-ratelimit-used": "600", "x-ratelimit-reset": "42"}
    server.routes["/r/new"] = Route(body=b"{}", headers=spent, conditional=False)
    server.routes["/r/next"] = Route(body=b"{}", conditional=False)
    with _client(clock) as http:
        http.get(server.url("/r/new"))
        http.get(server.url("/r/next"))
    first, second = server.requests
    assert second.at - first.at >= 42.0


def test_budget_with_requests_left_does_not_slow_down(
    server: ReplayServer, clock: FakeClock
) -> None:
    left = {"x-ratelimit-remaining": "598.0", "x-ratelimit-used": "2", "x-ratelimit-reset": "42"}
    server.routes["/r/new"] = Route(body=b"{}", headers=left, conditional=False)
    with _client(clock) as http:
        http.get(server.url("/r/new"))
        http.get(server.url("/r/new"))
    assert clock.sleeps == []


def test_rate_limit_headers_of_each_service_are_read() -> None:
    now = 1_700_000_000.0
    # GitHub: epoch seconds; Mastodon: ISO 8601; Reddit: seconds from now.
    assert budget_exhausted_until(
        {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1700000500"}, now
    ) == pytest.approx(now + 500, abs=0.5)
    assert budget_exhausted_until(
        {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "2023-11-14T22:30:00.000Z"}, now
    ) == pytest.approx(now + 1000, abs=0.5)
    assert budget_exhausted_until(
        {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "7"}, now
    ) == pytest.approx(now + 7, abs=0.5)
    assert budget_exhausted_until({"x-ratelimit-remaining": "12"}, now) is None
    assert retry_after({"retry-after": "soon"}, now) is None
    assert retry_after({"retry-after": "Tue, 14 Nov 2023 22:30:00 GMT"}, now) == now + 1000


def test_one_request_at_a_time_per_host(replay: ReplayServer) -> None:
    replay.routes["/slow"] = Route(body=b"ok", delay=0.3, conditional=False)
    with HttpClient(HttpSettings(allow_hosts=LOCAL)) as http:
        threads = [threading.Thread(target=http.get, args=(replay.url("/slow"),)) for _ in "ab"]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    first, second = sorted(r.at for r in replay.requests)
    assert second - first >= 0.3  # the second waited for the first to finish


def test_adaptive_delay_grows_on_errors_and_eases_on_success(
    server: ReplayServer, clock: FakeClock
) -> None:
    server.routes["/api"] = Route(body=b"ok", conditional=False)
    server.queue("/api", Route(status=500, conditional=False), Route(status=500, conditional=False))
    with _client(clock, host_delay=0.0) as http:
        http.get(server.url("/api"))
        host = f"127.0.0.1:{server.port}"
        grown = http.pacer.delay(host)
        for _ in range(5):
            http.get(server.url("/api"))
        eased = http.pacer.delay(host)
    assert grown >= 1.0  # two errors doubled it to 2 s; the success then halved it
    assert eased == 0.0


def test_github_403_with_spent_budget_holds_the_host_until_the_epoch_reset(
    server: ReplayServer, clock: FakeClock
) -> None:
    reset = int(clock.now()) + 30
    spent = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)}
    server.routes["/repos/o/r/issues"] = Route(status=403, headers=spent, conditional=False)
    server.routes["/repos/o/r/discussions"] = Route(body=b"[]", conditional=False)
    with _client(clock) as http:
        with pytest.raises(HttpStatusError):
            http.get(server.url("/repos/o/r/issues"))
        http.get(server.url("/repos/o/r/discussions"))
    first, second = server.requests
    assert first.status == 403  # not retried: a 403 is final, but its budget is honoured
    assert second.at >= reset


def test_mastodon_iso_reset_is_honoured(server: ReplayServer, clock: FakeClock) -> None:
    from datetime import UTC, datetime

    reset = datetime.fromtimestamp(int(clock.now()) + 20, UTC).isoformat().replace("+00:00", "Z")
    spent = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}
    server.routes["/api/v1/timelines/tag/crm"] = Route(body=b"[]", headers=spent, conditional=False)
    with _client(clock) as http:
        http.get(server.url("/api/v1/timelines/tag/crm"))
        http.get(server.url("/api/v1/timelines/tag/crm"))
    first, second = server.requests
    assert second.at - first.at >= 19.0
