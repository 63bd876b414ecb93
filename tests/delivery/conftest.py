"""Fixtures for delivery tests: a local HTTP receiver, a guarded client allowed 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from receivers import HttpReceiver, SmtpReceiver

from sources import HttpClient, HttpSettings


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    server = HttpReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def http() -> Iterator[HttpClient]:
    settings = HttpSettings(
        allow_hosts=frozenset({"127.0.0.1"}), connect_timeout=2, read_timeout=5, total_timeout=10
    )
    with HttpClient(settings) as client:
        yield client


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    server = SmtpReceiver().start()
    yield server
    server.stop()
