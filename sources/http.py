"""The HTTP client every adapter uses: deadlines, a body cap, checked redirects, SSRF guard."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from types import TracebackType
from typing import Any
from urllib.parse import urljoin

import httpcore
import httpx

from sources.errors import (
    BlockedAddressError,
    BodyTooLargeError,
    DeadlineError,
    FetchError,
    HttpStatusError,
)
from sources.guard import AddressGuard, system_resolver

DEFAULT_CONTACT_URL = "https://github.com/buying-signals/buying-signals"
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


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


class HttpClient:
    """GET with conditional headers, deadlines, a decompressed-size cap and guarded redirects.

    POST (for webhooks) shares the guard, the deadlines and the cap, and follows no redirects.
    """

    def __init__(self, settings: HttpSettings | None = None, *, guard: AddressGuard | None = None):
        self.settings = settings or HttpSettings()
        self.guard = guard or AddressGuard(self.settings.allow_hosts, system_resolver)
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
        deadline = time.monotonic() + self.settings.total_timeout
        current = url
        for _hop in range(self.settings.max_redirects + 1):
            self.guard.check_url(current)
            response = self._get_once(current, request_headers, deadline)
            if response.status in _REDIRECT_STATUSES and "location" in response.headers:
                current = urljoin(current, response.headers["location"])
                continue
            if response.status >= 400 or (300 <= response.status < 400 and response.status != 304):
                raise HttpStatusError(response.status, current)
            return response
        raise FetchError(f"more than {self.settings.max_redirects} redirects", url)

    def post(self, url: str, body: bytes, *, headers: Mapping[str, str] | None = None) -> Response:
        """POST body to url; 2xx comes back, anything else (redirects too) raises a FetchError."""
        # A redirected POST would resend the payload somewhere nobody configured: refuse it.
        self.guard.check_url(url)
        deadline = time.monotonic() + self.settings.total_timeout
        response = self._get_once(url, headers or {}, deadline, method="POST", content=body)
        if not 200 <= response.status < 300:
            raise HttpStatusError(response.status, url)
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
        except httpx.TimeoutException as exc:
            raise DeadlineError(f"timed out ({type(exc).__name__})", url) from exc
        except httpx.DecodingError as exc:
            raise FetchError(f"cannot decode the response body: {exc}", url) from exc
        except httpx.HTTPError as exc:
            raise FetchError(f"request failed: {exc}", url) from exc
