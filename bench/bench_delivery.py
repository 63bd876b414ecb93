"""Benchmark: the outbox sending signed webhooks to a local receiver, and queueing them.

Prints events queued per second, deliveries sent per second (each a signed POST over a real
connection to 127.0.0.1, one committed row at a time) and the time to claim the next due row
with many rows waiting. Usage:
    taskset -c 1 .venv/bin/python bench/bench_delivery.py [--events 2000] [--db URL]
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from signals.delivery import outbox, webhook
from signals.delivery.outbox import _claim_next
from signals.store import schema
from signals.store.engine import make_engine
from sources import HttpClient, HttpSettings


class _Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real receiver would

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def _store(url: str | None, tmp: Path) -> Iterator[str]:
    """A temp SQLite file, or a throwaway schema in the PostgreSQL database at url."""
    if url is None or not url.startswith("postgresql"):
        yield url or f"sqlite:///{tmp / 'bench.db'}"
        return
    name = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        separator = "&" if "?" in url else "?"
        yield f"{url}{separator}options=-csearch_path%3D{name}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--db", default=None, help="database URL [default: a temp SQLite file]")
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    with tempfile.TemporaryDirectory() as tmp, _store(args.db, Path(tmp)) as database:
        engine = make_engine(database)
        schema.upgrade(engine)
        now = datetime.now(UTC)
        with Session(engine) as session, session.begin():
            webhook.add_endpoint(session, f"bench-{now.timestamp()}", url)
        started = time.perf_counter()
        with Session(engine) as session, session.begin():
            for n in range(args.events):
                data = {"signal_id": n, "quote": "looking for an alternative to Jira " * 4}
                webhook.publish(session, "signal.detected", f"{now.timestamp()}-{n}", data, now=now)
        queued = time.perf_counter() - started
        with Session(engine) as session:
            started = time.perf_counter()
            _claim_next(session, now)
            claim_ms = (time.perf_counter() - started) * 1000
        http = HttpClient(HttpSettings(allow_hosts=frozenset({"127.0.0.1"})))
        started = time.perf_counter()
        report = outbox.deliver_due(engine, http, now + timedelta(seconds=1))
        sent = time.perf_counter() - started
        http.close()
        engine.dispose()
    server.shutdown()
    print(f"database: {engine.url.get_backend_name()}; events: {args.events}")
    print(f"queue:   {args.events / queued:,.0f} events/s ({queued:.2f} s)")
    print(f"claim:   {claim_ms:.2f} ms for the next due row with {args.events} waiting")
    print(
        f"deliver: {report.delivered / sent:,.0f} signed POSTs/s ({sent:.2f} s), "
        f"{report.delivered} delivered, {report.failed + report.retrying} not"
    )


if __name__ == "__main__":
    main()
