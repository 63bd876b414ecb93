"""HttpClient.post: the SSRF guard applies before connecting, and redirects are refused."""

from __future__ import annotations

import pytest
from receivers import HttpReceiver

from sources import AddressGuard, BlockedAddressError, HttpClient, HttpSettings, HttpStatusError


def test_post_to_a_private_address_is_refused_before_connecting() -> None:
    asked: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        asked.append(host)
        return ["10.1.2.3"]  # a private address: no packet may go there

    with HttpClient(
        HttpSettings(connect_timeout=30), guard=AddressGuard(resolver=resolver)
    ) as client:
        with pytest.raises(BlockedAddressError, match=r"refusing to connect to hooks\.internal"):
            client.post("https://hooks.internal/in", b"{}")
    assert asked == ["hooks.internal"]


def test_post_sends_the_body_and_headers(receiver: HttpReceiver, http: HttpClient) -> None:
    response = http.post(receiver.url, b'{"a":1}', headers={"X-Test": "yes"})
    assert response.status == 200
    [request] = receiver.requests
    assert (request.body, request.headers["x-test"]) == (b'{"a":1}', "yes")
    assert request.headers["user-agent"].startswith("buying-signals/")


def test_post_does_not_follow_redirects(receiver: HttpReceiver, http: HttpClient) -> None:
    receiver.status = 307
    with pytest.raises(HttpStatusError) as raised:
        http.post(receiver.url, b"{}")
    assert raised.value.status == 307
    assert len(receiver.requests) == 1  # the payload went nowhere else
