"""The shared HTTP client: caps, deadlines, redirects and the SSRF guard, over real sockets."""

from __future__ import annotations

import gzip
import time

import pytest

from signals.replay import ReplayServer, Route
from sources import (
    AddressGuard,
    BlockedAddressError,
    BodyTooLargeError,
    DeadlineError,
    HttpClient,
    HttpSettings,
    HttpStatusError,
)
from sources.guard import refusal_reason

LOCAL = frozenset({"127.0.0.1"})


def test_gzip_bomb_is_aborted_at_the_cap_after_decompression(replay: ReplayServer) -> None:
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024))  # 64 MiB of zeros in about 64 KiB
    replay.routes["/bomb"] = Route(body=bomb, headers={"Content-Encoding": "gzip"})
    settings = HttpSettings(max_body_bytes=1024 * 1024, allow_hosts=LOCAL)
    with HttpClient(settings) as http, pytest.raises(BodyTooLargeError, match="1048576 bytes"):
        http.get(replay.url("/bomb"))


def test_server_that_trickles_bytes_is_aborted_at_the_total_deadline(replay: ReplayServer) -> None:
    replay.routes["/drip"] = Route(body=b"x" * 200, trickle=0.05)
    settings = HttpSettings(total_timeout=0.5, read_timeout=5, allow_hosts=LOCAL)
    started = time.monotonic()
    with HttpClient(settings) as http, pytest.raises(DeadlineError, match="within 0.5 s"):
        http.get(replay.url("/drip"))
    assert time.monotonic() - started < 2.0


def test_server_that_never_answers_hits_the_read_deadline(replay: ReplayServer) -> None:
    replay.routes["/hang"] = Route(body=b"late", delay=2.0)
    settings = HttpSettings(read_timeout=0.3, allow_hosts=LOCAL)
    with HttpClient(settings) as http, pytest.raises(DeadlineError, match="timed out"):
        http.get(replay.url("/hang"))


def test_error_status_raises_with_the_status(replay: ReplayServer) -> None:
    replay.routes["/gone"] = Route(body=b"oops", status=404, conditional=False)
    with HttpClient(HttpSettings(allow_hosts=LOCAL)) as http, pytest.raises(HttpStatusError) as e:
        http.get(replay.url("/gone"))
    assert e.value.status == 404
    assert len(replay.requests_to("/gone")) == 1  # a 404 is final: never retried


def test_redirects_are_followed_and_each_hop_is_checked(replay: ReplayServer) -> None:
    replay.routes["/old"] = Route(status=301, headers={"Location": "/new"}, conditional=False)
    replay.routes["/new"] = Route(body=b"<rss/>")
    with HttpClient(HttpSettings(allow_hosts=LOCAL)) as http:
        response = http.get(replay.url("/old"))
    assert response.body == b"<rss/>"
    assert response.url == replay.url("/new")


def test_redirect_to_a_private_address_is_refused_before_connecting(replay: ReplayServer) -> None:
    replay.routes["/jump"] = Route(
        status=302,
        headers={"Location": "http://169.254.169.254/latest/meta-data/"},
        conditional=False,
    )
    with HttpClient(HttpSettings(allow_hosts=LOCAL)) as http:
        with pytest.raises(BlockedAddressError, match="169.254.169.254.*link-local"):
            http.get(replay.url("/jump"))
    assert [r.path for r in replay.requests] == ["/jump"]


def test_too_many_redirects_stop(replay: ReplayServer) -> None:
    replay.routes["/loop"] = Route(status=302, headers={"Location": "/loop"}, conditional=False)
    with HttpClient(HttpSettings(allow_hosts=LOCAL, max_redirects=5)) as http:
        with pytest.raises(Exception, match="more than 5 redirects"):
            http.get(replay.url("/loop"))
    assert len(replay.requests_to("/loop")) == 6


def test_loopback_is_refused_unless_allowed(replay: ReplayServer) -> None:
    replay.routes["/feed"] = Route(body=b"ok")
    with HttpClient(HttpSettings()) as http, pytest.raises(BlockedAddressError, match="loopback"):
        http.get(replay.url("/feed"))
    assert replay.requests == []  # refused before any connection


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.10", "private"),
        ("169.254.169.254", "link-local"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("fd00::1", "private"),
        ("fe80::1", "link-local"),
        ("::1", "loopback"),
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:169.254.169.254", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "not a public address"),
        ("192.0.2.1", "private"),
    ],
)
def test_guard_refuses_every_non_public_address(address: str, reason: str) -> None:
    assert reason in (refusal_reason(address) or "")
    # A host name that resolves there is refused at resolve time: no connection is attempted.
    guard = AddressGuard(resolver=lambda host, port: [address])
    with pytest.raises(BlockedAddressError, match=reason):
        guard.resolve("innocent.example", 80)


def test_guard_accepts_public_addresses_and_explicitly_allowed_hosts() -> None:
    assert refusal_reason("93.184.216.34") is None
    assert refusal_reason("2606:4700::1111") is None
    guard = AddressGuard.allowing(["Intranet.Example"], resolver=lambda h, p: ["10.0.0.5"])
    assert guard.resolve("intranet.example", 443) == ["10.0.0.5"]


def test_guard_refuses_when_any_resolved_address_is_private() -> None:
    guard = AddressGuard(resolver=lambda host, port: ["93.184.216.34", "10.0.0.1"])
    with pytest.raises(BlockedAddressError, match="10.0.0.1"):
        guard.resolve("rebinding.example", 80)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/x", "gopher://x/"])
def test_only_http_urls_are_fetched(url: str) -> None:
    with HttpClient() as http, pytest.raises(BlockedAddressError, match="only http"):
        http.get(url)
