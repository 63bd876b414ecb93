"""`signals watch` as a real process against the replay server: speed to lead and clean stops."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from signals.demo import FEEDS, demo_feeds, demo_settings
from signals.replay import ReplayServer, Route
from signals.store.engine import make_engine

SIGNALS = str(Path(sys.executable).with_name("signals"))
INTERVAL = 2.0
FIRST, LATER = "hn_show.rss", "reddit_software.rss"  # two bundled feeds of real posts


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


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[ReplayServer, Path]]:
    with ReplayServer({"/live.rss": _route(FIRST)}) as server:
        settings = demo_settings(server, [], tmp_path / "config")
        (settings.directory / "signals.toml").write_text(
            '[http]\nallow_hosts = ["127.0.0.1"]\n\n[[sources]]\nname = "live"\nkind = "rss"\n'
            f'url = "{server.url("/live.rss")}"\ninterval = {INTERVAL}\n',
            encoding="utf-8",
        )
        yield server, settings.directory


def _start(config: Path, database: Path, log: Path) -> subprocess.Popen[bytes]:
    command = [SIGNALS, "--db", str(database), "--config", str(config), "watch"]
    with log.open("ab") as output:
        return subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)


def _wait(condition, process: subprocess.Popen[bytes], log: Path, timeout: float) -> float:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    while not condition():
        assert process.poll() is None, log.read_text()
        assert time.monotonic() - started < timeout, log.read_text()
        time.sleep(0.1)
    return time.monotonic() - started


def _stop(process: subprocess.Popen[bytes], log: Path) -> None:
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 0, log.read_text()


def test_new_item_becomes_a_signal_within_the_interval_plus_5_seconds(
    live: tuple[ReplayServer, Path], tmp_path: Path
) -> None:
    server, config = live
    database, log = tmp_path / "watch.db", tmp_path / "watch.log"
    process = _start(config, database, log)
    try:
        _wait(lambda: "live: " in log.read_text(), process, log, timeout=90)  # first crawl done
        first_posts = len(_query(database, "SELECT id FROM posts"))
        server.routes["/live.rss"] = _route(LATER)  # new items appear at the source
        signalled = "SELECT p.id FROM signals s JOIN posts p ON p.id = s.post_id"

        def new_signal() -> bool:
            return any(
                int(str(post_id)) > first_posts for (post_id,) in _query(database, signalled)
            )

        waited = _wait(new_signal, process, log, timeout=30)
        assert waited <= INTERVAL * 1.1 + 5.0
        _stop(process, log)
    finally:
        if process.poll() is None:
            process.kill()
    assert "stopped; everything fetched so far is stored" in log.read_text()


def test_sigterm_mid_crawl_then_restart_loses_and_duplicates_nothing(
    live: tuple[ReplayServer, Path], tmp_path: Path
) -> None:
    server, config = live
    server.routes["/live.rss"] = _route(LATER)
    server.routes["/live.rss"].delay = 60.0  # the crawl hangs in the middle of the request
    database, log = tmp_path / "watch.db", tmp_path / "watch.log"
    process = _start(config, database, log)
    try:
        _wait(lambda: bool(server.requests_to("/live.rss")), process, log, timeout=90)
        started = time.monotonic()
        _stop(process, log)  # exits 0, well before the 60 s the server would take
        assert time.monotonic() - started < 10
    finally:
        if process.poll() is None:
            process.kill()
    assert _query(database, "SELECT id FROM posts") == []  # nothing half-stored

    server.routes["/live.rss"].delay = 0.0
    process = _start(config, database, log)
    try:
        entries = next(f.entries for f in demo_feeds() if f.file == LATER)
        count = "SELECT count(*) FROM posts WHERE classified_at IS NOT NULL"
        _wait(lambda: _query(database, count)[0][0] == entries, process, log, timeout=90)
        # Another interval passes: the feed answers 304 and nothing is added twice.
        requests = len(server.requests_to("/live.rss"))
        _wait(lambda: len(server.requests_to("/live.rss")) > requests, process, log, timeout=15)
        _stop(process, log)
    finally:
        if process.poll() is None:
            process.kill()
    rows = _query(database, "SELECT source_id, external_id FROM posts")
    assert len(rows) == len(set(rows)) == entries
    signals = _query(database, "SELECT post_id FROM signals")
    assert len(signals) == len(set(signals))


def test_after_classify_hook_hears_of_new_signals(tmp_path: Path) -> None:
    from signals import hooks
    from signals.classifier import load_classifier
    from signals.config import load_settings
    from signals.store import schema
    from signals.watch import Stopper, watch
    from sources import HttpClient

    heard: list[int] = []
    stopper = Stopper()

    def listener(engine: object, signal_ids: object) -> None:
        heard.extend(signal_ids)  # type: ignore[call-overload]
        stopper.event.set()

    with ReplayServer({"/live.rss": _route(LATER)}) as server:
        directory = demo_settings(server, [], tmp_path / "config").directory
        (directory / "signals.toml").write_text(
            '[http]\nallow_hosts = ["127.0.0.1"]\n\n[[sources]]\nname = "live"\n'
            f'kind = "rss"\nurl = "{server.url("/live.rss")}"\n',
            encoding="utf-8",
        )
        settings = load_settings(directory)
        engine = make_engine(f"sqlite:///{tmp_path / 'hook.db'}")
        schema.upgrade(engine)
        hooks.on_after_classify(listener)
        try:
            with HttpClient(settings.http) as http:
                watch(engine, http, load_classifier(directory), settings.sources, stopper)
        finally:
            hooks._listeners.remove(listener)
    stored = {row[0] for row in _query(tmp_path / "hook.db", "SELECT id FROM signals")}
    assert heard and set(heard) == stored


def test_a_failing_source_backs_off_without_slowing_the_others(tmp_path: Path) -> None:
    import threading

    from signals.classifier import load_classifier
    from signals.config import load_settings
    from signals.store import schema
    from signals.watch import Stopper, watch
    from sources import HttpClient

    failing = Route(body=b"down", status=503, conditional=False)
    with (
        ReplayServer({"/live.rss": _route(FIRST)}) as good,
        ReplayServer({"/live.rss": failing}) as bad,
    ):
        directory = demo_settings(good, [], tmp_path / "config").directory
        sources = "".join(
            f'[[sources]]\nname = "{name}"\nkind = "rss"\nurl = "{server.url("/live.rss")}"\n'
            "interval = 1\n\n"
            for name, server in (("good", good), ("bad", bad))
        )
        (directory / "signals.toml").write_text(
            '[http]\nallow_hosts = ["127.0.0.1"]\nmax_attempts = 1\n\n' + sources,
            encoding="utf-8",
        )
        settings = load_settings(directory)
        engine = make_engine(f"sqlite:///{tmp_path / 'backoff.db'}")
        schema.upgrade(engine)
        classifier = load_classifier(directory)
        stopper = Stopper()
        timer = threading.Timer(7.0, stopper.event.set)
        timer.start()
        with HttpClient(settings.http) as http:
            watch(engine, http, classifier, settings.sources, stopper)
        timer.cancel()
    # Good every ~1 s; bad after 2 s, then 4 s more (interval doubled per failure).
    assert len(good.requests) >= 5
    assert 2 <= len(bad.requests) <= 3
    engine.dispose()


def test_watch_rechecks_stored_posts_every_n_hours(tmp_path: Path) -> None:
    import json
    import threading

    from signals.classifier import load_classifier
    from signals.config import load_settings
    from signals.store import schema
    from signals.watch import Stopper, watch
    from sources import HttpClient

    topic = Path(__file__).parent / "fixtures/discourse/topic.json"
    posts = json.loads(topic.read_text())["post_stream"]["posts"]
    routes = {
        "/t/57.json": Route(body=topic.read_bytes(), conditional=False),
        "/posts/83.json": Route(body=json.dumps(posts[0]).encode(), conditional=False),
        "/posts/226.json": Route(body=json.dumps(posts[3]).encode(), conditional=False),
    }  # /posts/86.json is not served: 404, deleted at the source
    with ReplayServer(routes) as server:
        directory = demo_settings(server, [], tmp_path / "config").directory
        (directory / "signals.toml").write_text(
            '[http]\nallow_hosts = ["127.0.0.1"]\n\n[[sources]]\nname = "forum"\n'
            f'kind = "discourse"\nurl = "{server.url("")}"\ntopic = 57\nbackfill_days = 0\n'
            "interval = 60\n",
            encoding="utf-8",
        )
        settings = load_settings(directory)
        database = tmp_path / "recheck.db"
        engine = make_engine(f"sqlite:///{database}")
        schema.upgrade(engine)
        stopper = Stopper()

        def stop_after_recheck() -> None:
            deadline = time.monotonic() + 30
            while not server.requests_to("/posts/226.json") and time.monotonic() < deadline:
                time.sleep(0.05)
            stopper.event.set()

        watcher = threading.Thread(target=stop_after_recheck)
        watcher.start()
        with HttpClient(settings.http) as http:
            classifier = load_classifier(directory)
            watch(engine, http, classifier, settings.sources, stopper, recheck_hours=1 / 3600)
        watcher.join()
        engine.dispose()
    rows = dict(_query(database, "SELECT external_id, deleted_at IS NOT NULL FROM posts"))
    assert rows == {"83": 0, "86": 1, "226": 0}
