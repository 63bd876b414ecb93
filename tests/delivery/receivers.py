"""Real local receivers for delivery tests: an HTTP server that can go down and come back."""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from signals.delivery.signing import verify


@dataclass(frozen=True)
class Received:
    """One request as the receiver saw it."""

    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class HttpReceiver:
    """Records every POST on 127.0.0.1; stop() closes the port, start() reopens the same one."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.fail_next = 0  # answer this many requests with 503 before accepting again
        self.status = 200  # what an accepted request is answered with
        self.hang_at: int | None = None  # record request number N (1-based), then never answer
        self.release = threading.Event()
        self.delay = 0.0  # seconds to think before answering: a slow receiver
        self.port = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> HttpReceiver:
        server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler(self))
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            assert self._thread is not None
            self._thread.join(timeout=5)
            self._server = None

    def by_key(self) -> dict[str, list[Received]]:
        """Requests grouped by Idempotency-Key, the way a receiver deduplicates them."""
        grouped: dict[str, list[Received]] = {}
        for request in self.requests:
            grouped.setdefault(request.headers["idempotency-key"], []).append(request)
        return grouped

    def verified(self, secret: str, now: float) -> list[bool]:
        """Whether each request's signature checks out, as a receiver would check it at now."""
        return [
            verify(secret, r.headers["x-signals-signature"], r.body, now=now) for r in self.requests
        ]

    def _record(self, handler: BaseHTTPRequestHandler) -> int:
        length = int(handler.headers.get("Content-Length", "0"))
        body = handler.rfile.read(length)
        with self._lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                return 503
            headers = {k.lower(): v for k, v in handler.headers.items()}
            self.requests.append(Received(handler.path, headers, body))
            hang = len(self.requests) == self.hang_at
        if hang:
            self.release.wait(60)
        time.sleep(self.delay)
        return self.status


def _handler(receiver: HttpReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            status = receiver._record(self)
            payload = b"ok"
            try:
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the sender is gone (killed mid-request): nothing to answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpReceiver:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps every message it accepts."""

    def __init__(
        self,
        logins: dict[str, str] | None = None,
        *,
        starttls: ssl.SSLContext | None = None,
        implicit_tls: ssl.SSLContext | None = None,
    ) -> None:
        self.messages: list[EmailMessage] = []
        self.port = free_port()
        self.logins = logins  # when set, AUTH is offered and checked against these
        self.logins_tried: list[tuple[str, bool]] = []
        self.starttls = starttls  # offered, and required before MAIL and AUTH
        self.implicit_tls = implicit_tls  # TLS from the first byte (port 465 style)
        self.over_tls: list[bool] = []  # per accepted message: did it come over TLS?
        self._controller: Any = None

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> Any:
        from aiosmtpd.smtp import AuthResult, LoginPassword

        assert self.logins is not None and isinstance(data, LoginPassword)
        user, password = data.login.decode(), data.password.decode()
        ok = self.logins.get(user) == password
        self.logins_tried.append((user, ok))
        return AuthResult(success=ok, handled=False)  # let the server answer 535

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = BytesParser(policy=policy.default).parsebytes(envelope.content)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.over_tls.append(server.transport.get_extra_info("ssl_object") is not None)
        return "250 Message accepted for delivery"

    def start(self) -> SmtpReceiver:
        from aiosmtpd.controller import Controller

        options: dict[str, Any] = {}
        if self.logins is not None:
            # Without TLS (loopback only) the test server offers AUTH in the clear; with
            # STARTTLS it offers AUTH only after it, as a real one must.
            options = {
                "authenticator": self._authenticate,
                "auth_required": False,  # True warns; the mailer logs in anyway
                "auth_require_tls": self.starttls is not None,
            }
        if self.starttls is not None:
            options |= {"tls_context": self.starttls, "require_starttls": True}
        if self.implicit_tls is not None:
            options["ssl_context"] = self.implicit_tls
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, **options)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def bodies(self) -> list[str]:
        return [str(m.get_body(("plain",)).get_content()) for m in self.messages]  # type: ignore[union-attr]

    def subjects(self) -> list[str]:
        # Unfolding a long header keeps the folding space; RFC 5322 makes it insignificant.
        return [str(m["Subject"]).strip() for m in self.messages]
