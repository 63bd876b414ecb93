"""`signals watch` sends webhook events for new signals at once, as a real process."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from receivers import HttpReceiver
from sqlalchemy import text
from typer.testing import CliRunner

from signals.cli import app
from signals.demo import FEEDS, demo_feeds, demo_settings
from signals.replay import ReplayServer, Route
from signals.store.engine import make_engine

SIGNALS = str(Path(sys.executable).with_name("signals"))
INTERVAL = 2.0
FIRST, LATER = "reddit_smallbusiness.rss", "reddit_software.rss"  # bundled feeds of real posts


def _route(name: str) -> Route:
    feed = next(f for f in demo_feeds() if f.file == name)
    return Route(body=(FEEDS / name).read_bytes(), content_type=feed.content_type)


def _query(database: Path, sql: str) -> list[tuple[object, ...]]:
    engine = make_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql))]
    finally:
        engine.dispose()


def _wait(
    condition: Callable[[], bool], process: subprocess.Popen[bytes], log: Path, timeout: float
) -> float:
    started = time.monotonic()
    while not condition():
        assert process.poll() is None, log.read_text()
        assert time.monotonic() - started < timeout, log.read_text()
        time.sleep(0.05)
    return time.monotonic() - started


def _watch(options: list[str], log: Path, *extra: str) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        return subprocess.Popen(
            [SIGNALS, *options, "watch", *extra], stdout=output, stderr=subprocess.STDOUT
        )


def _stop(process: subprocess.Popen[bytes], log: Path) -> None:
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 0, log.read_text()


def _detected(receiver: HttpReceiver) -> list[int]:
    """The activity ids (one per new signal's author) the receiver was told about, in order."""
    return [
        int(r.json()["data"]["properties"]["activity_id"])
        for r in receiver.requests
        if r.headers.get("x-signals-event") == "signal.detected"
    ]


def test_watch_sends_signal_detected_within_the_interval_plus_5_seconds(
    tmp_path: Path, receiver: HttpReceiver
) -> None:
    with ReplayServer({"/live.rss": _route(FIRST)}) as server:
        config = demo_settings(server, [], tmp_path / "config").directory
        (config / "signals.toml").write_text(
            '[http]\nallow_hosts = ["127.0.0.1"]\n\n[[sources]]\nname = "live"\nkind = "rss"\n'
            f'url = "{server.url("/live.rss")}"\ninterval = {INTERVAL}\n',
            encoding="utf-8",
        )
        database, log = tmp_path / "watch.db", tmp_path / "watch.log"
        options = ["--db", f"sqlite:///{database}", "--config", str(config)]
        added = CliRunner().invoke(app, [*options, "webhooks", "add", "crm", receiver.url])
        assert added.exit_code == 0, added.stderr

        # --no-deliver: the first crawl makes signals and nothing is sent.
        process = _watch(options, log, "--no-deliver")
        try:
            _wait(lambda: "live: " in log.read_text(), process, log, timeout=90)
            _stop(process, log)
        finally:
            if process.poll() is None:
                process.kill()
        quiet = _query(database, "SELECT count(*) FROM signals")[0][0]
        assert isinstance(quiet, int) and quiet > 0
        assert receiver.requests == []

        process = _watch(options, log)
        try:
            crawls = len(server.requests_to("/live.rss"))
            _wait(lambda: len(server.requests_to("/live.rss")) > crawls, process, log, timeout=90)
            server.routes["/live.rss"] = _route(LATER)  # new items appear at the source
            first_new = _query(database, "SELECT max(id) FROM activities")[0][0]
            assert isinstance(first_new, int)

            def told_of_a_new_signal() -> bool:
                return any(i > first_new for i in _detected(receiver))

            waited = _wait(told_of_a_new_signal, process, log, timeout=30)
            assert waited <= INTERVAL * 1.1 + 5.0, waited
            _stop(process, log)
        finally:
            if process.poll() is None:
                process.kill()
    ids = _query(database, "SELECT id FROM activities WHERE signal_id IS NOT NULL ORDER BY id")
    # Every signal's activity once, including those the --no-deliver run left to send.
    assert sorted(_detected(receiver)) == [int(str(i)) for (i,) in ids]
    assert "delivered " in log.read_text()


def test_a_failing_delivery_pass_is_one_warning_and_never_raises(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from signals import hooks
    from signals.app import AppContext
    from signals.watch_delivery import deliver_new_signals
    from sources import HttpClient, HttpSettings

    (tmp_path / "signals.toml").write_text("", encoding="utf-8")
    context = AppContext(db_option=f"sqlite:///{tmp_path / 'x.db'}", config_option=tmp_path)
    broken = make_engine(f"sqlite:///{tmp_path / 'no_tables.db'}")  # no schema: every query fails
    with HttpClient(HttpSettings()) as http:
        listener = deliver_new_signals(context, http)
        try:
            hooks.after_classify(broken, [1])
        finally:
            hooks.off_after_classify(listener)
            broken.dispose()
    err = capsys.readouterr().err
    assert err.startswith("warning: delivery failed: ")
    assert len(err.strip().splitlines()) == 1
