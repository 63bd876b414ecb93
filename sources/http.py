"""The HTTP client every adapter uses: deadlines, a body cap, checked redirects, SSRF guard."""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from types import TracebackType
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from sources.errors import (
    BlockedAddressError,
    BodyTooLargeError,
    ConnectionFailedError,
    DeadlineError,
    FetchError,
    HttpStatusError,
)
from sources.guard import AddressGuard, system_resolver
from sources.politeness import Clock, HostPacer, SystemClock
from sources.ratelimit import budget_exhausted_until, retry_after

DEFAULT_CONTACT_URL = "https://github.com/buying-signals/buying-signals"
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Worth another try: the server or the path to it may recover. Other 4xx will not.
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


def package_version() -> str:
    """The installed version of the product, for the User-Agent."""
    try:
        return metadata.version("buying-signals")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def default_user_agent(contact_url: str = DEFAULT_CONTACT_URL) -> str:
    """A descriptive User-Agent: product, version and where to reach us."""
    return f"buying-signals/{package_version()} (+{contact_url})"


@dataclass(frozen=True)
class HttpSettings:
    """Limits and identity for outgoing requests."""

    user_agent: str = field(default_factory=default_user_agent)
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    total_timeout: float = 60.0
    max_body_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    allow_hosts: frozenset[str] = field(default_factory=frozenset)
    max_attempts: int = 3  # tries per request on 408, 429, 5xx and connection errors
    backoff_seconds: float = 1.0  # first retry waits this (plus jitter), doubling each time
    host_delay: float = 0.0  # seconds kept between two requests to one host; grows on errors
    max_wait: float = 60.0  # a service hold longer than this fails the request (retried later)


@dataclass(frozen=True)
class Response:
    """A complete, size-capped response."""

    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


class _GuardedBackend(httpcore.SyncBackend):
    """Resolves the host itself, checks every address, and connects only to a checked one."""

    def __init__(self, guard: AddressGuard) -> None:
        self._guard = guard

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self._guard.resolve(host, port)
        last_error: Exception | None = None
        for address in addresses:
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                last_error = exc
        assert last_error is not None
        raise last_error


class _GuardedTransport(httpx.HTTPTransport):
    """httpx's transport with the connection pool built on the guarded backend."""

    def __init__(self, guard: AddressGuard) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            network_backend=_GuardedBackend(guard),
        )


def host_of(url: str) -> str:
    """The host:port a URL's requests go to: the unit of politeness."""
    parts = urlsplit(url)
    return f"{(parts.hostname or '').lower()}:{parts.port or ''}"


class HttpClient:
    """GET with conditional headers, deadlines, a decompressed-size cap and guarded redirects.

    Requests are paced per host (one at a time, an adaptive gap, holds from Retry-After and
    rate-limit budgets) and retried with exponential backoff and jitter on 408, 429, 5xx and
    connection errors. POST (for webhooks) shares the guard, the deadlines and the cap, and
    follows no redirects.
    """

    def __init__(
        self,
        settings: HttpSettings | None = None,
        *,
        guard: AddressGuard | None = None,
        clock: Clock | None = None,
        pacer: HostPacer | None = None,
    ):
        self.settings = settings or HttpSettings()
        self.guard = guard or AddressGuard(self.settings.allow_hosts, system_resolver)
        self.clock = clock or (pacer.clock if pacer else SystemClock())
        self.pacer = pacer or HostPacer(
            clock=self.clock, min_delay=self.settings.host_delay, max_wait=self.settings.max_wait
        )
        timeout = httpx.Timeout(
            connect=self.settings.connect_timeout,
            read=self.settings.read_timeout,
            write=self.settings.read_timeout,
            pool=self.settings.connect_timeout,
        )
        self._client = httpx.Client(
            transport=_GuardedTransport(self.guard),
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": self.settings.user_agent},
        )

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def get(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> Response:
        """Fetch url; 2xx and 304 come back, anything else raises a FetchError."""
        request_headers = dict(headers or {})
        if etag:
            request_headers["If-None-Match"] = etag
        if last_modified:
            request_headers["If-Modified-Since"] = last_modified
        self.guard.check_url(url)
        host = host_of(url)
        attempts = max(1, self.settings.max_attempts)
        failure: FetchError | None = None
        for attempt in range(1, attempts + 1):
            come_back: float | None = None
            asked = ""
            with self.pacer.slot(host, url):
                try:
                    response = self._follow(url, request_headers)
                except ConnectionFailedError as exc:
                    failure = exc
                else:
                    now = self.clock.now()
                    spent = budget_exhausted_until(response.headers, now)
                    if spent is not None:
                        self.pacer.hold(host, spent, "rate-limit budget spent")
                    if response.status not in RETRY_STATUSES:
                        if response.status >= 400 or (
                            300 <= response.status < 400 and response.status != 304
                        ):
                            raise HttpStatusError(
                                response.status, response.url, response.body[:4096]
                            )
                        self.pacer.succeeded(host)
                        return response
                    failure = HttpStatusError(response.status, response.url)
                    come_back = retry_after(response.headers, now)
                    asked = f"Retry-After from HTTP {response.status}"
                self.pacer.failed(host)
            if attempt < attempts:
                backoff = self.settings.backoff_seconds * 2 ** (attempt - 1)
                jitter = random.uniform(0, self.settings.backoff_seconds / 2)
                until = self.clock.now() + backoff + jitter
                if come_back is not None and come_back > until:
                    self.pacer.hold(host, come_back, asked)
                else:
                    self.pacer.hold(host, until, "backing off after an error")
            elif come_back is not None:
                self.pacer.hold(host, come_back, asked)
        assert failure is not None
        raise failure

    def hold(self, url: str, until: float, reason: str = "") -> None:
        """No request to url's host before `until` (epoch seconds): a service's own backoff."""
        self.pacer.hold(host_of(url), until, reason)

    def _follow(self, url: str, headers: Mapping[str, str]) -> Response:
        """One attempt: the request and its redirects, each hop checked; any status comes back."""
        deadline = time.monotonic() + self.settings.total_timeout
        current = url
        for _hop in range(self.settings.max_redirects + 1):
            self.guard.check_url(current)
            response = self._get_once(current, headers, deadline)
            if response.status in _REDIRECT_STATUSES and "location" in response.headers:
                current = urljoin(current, response.headers["location"])
                continue
            return response
        raise FetchError(f"more than {self.settings.max_redirects} redirects", url)

    def post(
        self,
        url: str,
        body: bytes,
        *,
        headers: Mapping[str, str] | None = None,
        paced: bool = False,
    ) -> Response:
        """POST body to url; 2xx comes back, anything else (redirects too) raises a FetchError.

        `paced`: a read that happens to be a POST (GitHub GraphQL) takes the host's turn like a
        GET does, and a spent rate-limit budget in its answer holds the host.
        """
        # A redirected POST would resend the payload somewhere nobody configured: refuse it.
        self.guard.check_url(url)
        if not paced:
            return self._post_once(url, body, headers)
        host = host_of(url)
        with self.pacer.slot(host, url):
            deadline = time.monotonic() + self.settings.total_timeout
            try:
                response = self._get_once(url, headers or {}, deadline, "POST", body)
            except FetchError:
                self.pacer.failed(host)
                raise
            now = self.clock.now()
            spent = budget_exhausted_until(response.headers, now)
            if spent is not None:
                self.pacer.hold(host, spent, "rate-limit budget spent")
            if not 200 <= response.status < 300:
                self.pacer.failed(host)
                come_back = retry_after(response.headers, now)
                if come_back is not None:
                    self.pacer.hold(host, come_back, f"Retry-After from HTTP {response.status}")
                raise HttpStatusError(response.status, url, response.body[:4096])
            self.pacer.succeeded(host)
            return response

    def _post_once(self, url: str, body: bytes, headers: Mapping[str, str] | None) -> Response:
        deadline = time.monotonic() + self.settings.total_timeout
        response = self._get_once(url, headers or {}, deadline, method="POST", content=body)
        if not 200 <= response.status < 300:
            raise HttpStatusError(response.status, url, response.body[:4096])
        return response

    def _get_once(
        self,
        url: str,
        headers: Mapping[str, str],
        deadline: float,
        method: str = "GET",
        content: bytes | None = None,
    ) -> Response:
        cap = self.settings.max_body_bytes
        try:
            with self._client.stream(method, url, headers=headers, content=content) as response:
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > cap:
                        raise BodyTooLargeError(
                            f"body larger than {cap} bytes after decompression", url
                        )
                    if time.monotonic() > deadline:
                        raise DeadlineError(
                            f"response not complete within {self.settings.total_timeout:g} s", url
                        )
                    chunks.append(chunk)
                return Response(
                    url=str(response.url),
                    status=response.status_code,
                    headers={k.lower(): v for k, v in response.headers.items()},
                    body=b"".join(chunks),
                )
        except BlockedAddressError as exc:
            raise BlockedAddressError(str(exc.args[0]), url) from None
        except httpx.ConnectTimeout as exc:
            raise ConnectionFailedError(f"cannot connect: {exc}", url) from exc
        except httpx.TimeoutException as exc:
            raise DeadlineError(f"timed out ({type(exc).__name__})", url) from exc
        except httpx.DecodingError as exc:
            raise FetchError(f"cannot decode the response body: {exc}", url) from exc
        except (httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError) as exc:
            raise ConnectionFailedError(f"connection failed: {exc}", url) from exc
        except httpx.HTTPError as exc:
            raise FetchError(f"request failed: {exc}", url) from exc
