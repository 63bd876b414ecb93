"""SIGKILL in the middle of a run, then a rerun: nothing committed is lost, nothing duplicated."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import text

from signals.demo import demo_feeds, demo_server, demo_settings
from signals.store.engine import make_engine

SIGNALS = str(Path(sys.executable).with_name("signals"))


def _rows(database: Path) -> dict[str, object]:
    engine = make_engine(f"sqlite:///{database}")
    with engine.connect() as connection:
        query = lambda sql: connection.execute(text(sql)).all()  # noqa: E731
        result = {
            "posts": query("SELECT id, source_id, external_id FROM posts ORDER BY id"),
            "distinct_posts": query("SELECT DISTINCT source_id, external_id FROM posts"),
            "signals": query("SELECT post_id FROM signals"),
            "activities": query("SELECT post_id, contact_id, kind FROM activities"),
            "identities": query("SELECT platform, handle FROM identities"),
            "unclassified": query("SELECT id FROM posts WHERE classified_at IS NULL"),
        }
    engine.dispose()
    return result


def test_sigkill_mid_run_then_rerun_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    feeds = demo_feeds()
    assert len(feeds) >= 4
    database = tmp_path / "crash.db"
    with demo_server(demo_feeds()) as server:
        settings = demo_settings(server, feeds, tmp_path / "config")
        stalled = "/" + feeds[len(feeds) // 2].file
        server.routes[stalled].delay = 60.0  # the run hangs here, after committing earlier feeds
        command = [SIGNALS, "--db", str(database), "--config", str(settings.directory), "run"]
        log = tmp_path / "first-run.log"
        with log.open("wb") as output:
            process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while not server.requests_to(stalled) and time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            time.sleep(0.05)
        assert server.requests_to(stalled), "the run never reached the stalled feed"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        assert process.returncode == -signal.SIGKILL

        before = _rows(database)
        assert len(before["posts"]) > 0  # the feeds crawled before the kill were committed

        server.routes[stalled].delay = 0.0
        rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert rerun.returncode == 0, rerun.stderr
        full = _rows(database)

    assert set(before["posts"]) <= set(full["posts"])  # same ids, same rows: nothing lost
    assert len(full["posts"]) == len(full["distinct_posts"])
    assert len(full["signals"]) == len(set(full["signals"]))
    assert len(full["activities"]) == len(set(full["activities"]))
    assert len(full["identities"]) == len(set(full["identities"]))
    assert full["unclassified"] == []
    # A clean single run over the same feeds gives the same number of rows.
    with demo_server(demo_feeds()) as server:
        clean_config = demo_settings(server, feeds, tmp_path / "clean-config")
        clean_db = tmp_path / "clean.db"
        clean = [SIGNALS, "--db", str(clean_db), "--config", str(clean_config.directory), "run"]
        subprocess.run(clean, capture_output=True, check=True, timeout=300)
    reference = _rows(clean_db)
    for key in ("posts", "signals", "activities", "identities"):
        assert len(full[key]) == len(reference[key]), key
