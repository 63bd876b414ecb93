"""A local HTTP server that replays recorded responses, for the demo, tests and benchmarks.

It binds 127.0.0.1 only, logs every request it answers, and answers conditional requests
(If-None-Match / If-Modified-Since) with 304 the way a well-behaved feed server does.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

# Recorded bodies are served with a fixed Last-Modified so reruns see the same validators.
RECORDED_AT = formatdate(1_700_000_000, usegmt=True)


@dataclass
class Route:
    """What the server answers for one path."""

    body: bytes = b""
    status: int = 200
    content_type: str = "application/xml; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the status line: a slow or hung server
    conditional: bool = True  # send ETag / Last-Modified and answer 304 when they match
    trickle: float = 0.0  # seconds between bytes of the body: a server that drips

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:20] + '"'


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server answered."""

    method: str
    path: str
    headers: dict[str, str]
    status: int
    at: float = 0.0  # when it arrived, by the server's clock (epoch seconds)
    body: bytes = b""  # the request body (POST)


class ReplayServer:
    """Serves routes on 127.0.0.1 from a background thread; use as a context manager."""

    def __init__(
        self,
        routes: dict[str, Route] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.routes: dict[str, Route] = dict(routes or {})
        # Answers served once each, in order, before `routes` takes over (503, 503, then 200).
        self.sequences: dict[str, list[Route]] = {}
        self.clock = clock  # tests share a fake clock with the client to check timing exactly
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def requests_to(self, path: str) -> list[RecordedRequest]:
        """Requests whose path (with or without its query) is `path`."""
        with self._lock:
            return [r for r in self.requests if path in (r.path, urlsplit(r.path).path)]

    def queue(self, path: str, *routes: Route) -> None:
        """Serve these answers for path once each, in order, then `routes[path]` again."""
        with self._lock:
            self.sequences.setdefault(path, []).extend(routes)

    def _route(self, full_path: str) -> Route | None:
        path = urlsplit(full_path).path
        with self._lock:
            for key in (full_path, path):
                if self.sequences.get(key):
                    return self.sequences[key].pop(0)
        return self.routes.get(full_path) or self.routes.get(path)

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)


def _handler_for(server: ReplayServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes; with Nagle's algorithm and delayed ACKs
        # every keep-alive response would wait ~40 ms for nothing.
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self._answer("POST", self.rfile.read(length) if length else b"")

        def do_GET(self) -> None:
            self._answer("GET", b"")

        def _answer(self, method: str, request_body: bytes) -> None:
            route = server._route(self.path)
            headers = {k.lower(): v for k, v in self.headers.items()}
            if route is None:
                route = Route(body=b"not found", status=404, content_type="text/plain")
            status, extra = route.status, dict(route.headers)
            body = route.body
            if route.conditional and status == 200:
                extra.setdefault("ETag", route.etag)
                extra.setdefault("Last-Modified", RECORDED_AT)
                if headers.get("if-none-match") == extra["ETag"] or (
                    "if-none-match" not in headers
                    and headers.get("if-modified-since") == extra["Last-Modified"]
                ):
                    status, body = 304, b""
            server._record(
                RecordedRequest(method, self.path, headers, status, server.clock(), request_body)
            )
            if route.delay:
                time.sleep(route.delay)  # logged first: a test can see a request is in flight
            self.send_response(status)
            if status != 304:
                self.send_header("Content-Type", route.content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            # The client may have given up (a deadline test); nothing to clean up then.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                if not route.trickle:
                    self.wfile.write(body)
                for index in range(len(body) if route.trickle else 0):
                    self.wfile.write(body[index : index + 1])
                    self.wfile.flush()
                    time.sleep(route.trickle)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the request log is the record."""

    return Handler
