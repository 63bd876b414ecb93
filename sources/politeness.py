"""Per-host politeness: one request at a time per host, a delay that grows on errors, holds."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

from sources.errors import RateLimitedError


class Clock(Protocol):
    """Wall-clock time in seconds since the epoch, and a way to wait."""

    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock."""

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


@dataclass
class _Host:
    lock: threading.Lock = field(default_factory=threading.Lock)
    not_before: float = 0.0  # no request to this host before this moment
    delay: float = 0.0  # gap kept after every request; grows on errors
    reason: str = ""


@dataclass
class HostPacer:
    """Spaces requests per host: serialised, `delay` apart, and never before a service's hold."""

    clock: Clock = field(default_factory=SystemClock)
    min_delay: float = 0.0  # seconds between two requests to one host when all is well
    max_delay: float = 60.0  # the adaptive delay never grows past this
    max_wait: float = 60.0  # a longer hold fails the request instead of blocking the caller
    _hosts: dict[str, _Host] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _host(self, host: str) -> _Host:
        with self._lock:
            state = self._hosts.get(host)
            if state is None:
                state = self._hosts[host] = _Host(delay=self.min_delay)
            return state

    def hold(self, host: str, until: float, reason: str = "") -> None:
        """No request to host before `until` (a Retry-After, a budget, a service's backoff)."""
        state = self._host(host)
        if until > state.not_before:
            state.not_before, state.reason = until, reason

    def not_before(self, host: str) -> float:
        """The earliest moment the next request to host may start."""
        return self._host(host).not_before

    def delay(self, host: str) -> float:
        return self._host(host).delay

    def failed(self, host: str) -> None:
        """An error from host: double the gap kept after each of its requests."""
        state = self._host(host)
        state.delay = min(self.max_delay, max(1.0, state.delay * 2))

    def succeeded(self, host: str) -> None:
        """A good answer: the gap eases back towards the configured minimum."""
        state = self._host(host)
        state.delay = max(self.min_delay, state.delay / 2 if state.delay > 1.0 else self.min_delay)

    @contextmanager
    def slot(self, host: str, url: str | None = None) -> Iterator[None]:
        """Hold the host's turn: wait for its hold, run the request, then keep its gap."""
        state = self._host(host)
        with state.lock:
            wait = state.not_before - self.clock.now()
            if wait > self.max_wait:
                raise RateLimitedError(
                    f"{host} asked us to wait {wait:.0f} s ({state.reason or 'rate limit'}); "
                    "it will be tried again after that",
                    url,
                    retry_at=state.not_before,
                )
            self.clock.sleep(wait)
            try:
                yield
            finally:
                self.hold(host, self.clock.now() + state.delay, state.reason)
