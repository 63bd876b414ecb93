"""SIGKILL `signals deliver` mid-send, then rerun: nothing lost, only the in-flight one resent."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from receivers import HttpReceiver
from sqlalchemy import text
from sqlalchemy.orm import Session

from signals.delivery import webhook
from signals.store import schema
from signals.store.engine import make_engine
from tests.conftest import ROOT

SIGNALS = str(Path(sys.executable).with_name("signals"))


def test_sigkill_mid_send_then_rerun_loses_nothing(tmp_path: Path, receiver: HttpReceiver) -> None:
    database = tmp_path / "crash.db"
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    engine = make_engine(f"sqlite:///{database}")
    schema.upgrade(engine)
    with Session(engine) as session, session.begin():
        webhook.add_endpoint(session, "crm", receiver.url, "whsec")
        for n in range(6):
            webhook.publish(session, "signal.detected", f"s{n}", {"n": n}, now=datetime.now(UTC))
    receiver.hang_at = 3  # the third request is received, then the receiver goes silent
    command = [SIGNALS, "--db", str(database), "--config", str(config)]
    command += ["deliver", "--allow-host", "127.0.0.1"]
    log = tmp_path / "first-run.log"
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while len(receiver.requests) < 3 and time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    with engine.connect() as connection:
        statuses = connection.execute(text("SELECT status FROM deliveries ORDER BY id")).scalars()
        assert list(statuses) == ["delivered", "delivered"] + ["pending"] * 4

    receiver.hang_at = None
    receiver.release.set()
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert rerun.returncode == 0, rerun.stderr
    assert "sent 4, retrying 0, failed 0, paused 0" in rerun.stdout
    by_key = receiver.by_key()
    assert sorted(by_key) == sorted(f"signal.detected:s{n}@crm" for n in range(6))
    # Only the request in flight at the kill came twice; the receiver drops it by its key.
    assert {k: len(v) for k, v in by_key.items() if len(v) > 1} == {"signal.detected:s2@crm": 2}
    engine.dispose()
