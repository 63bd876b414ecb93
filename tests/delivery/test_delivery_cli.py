"""`signals deliver` and `signals webhooks ...` end to end, against a real local receiver."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from receivers import HttpReceiver
from sqlalchemy.orm import Session
from store_rows import add_signal
from typer.testing import CliRunner

from signals.cli import app
from signals.delivery import runner as delivery_runner
from signals.delivery.settings import DeliverySettings, OutboxSettings
from signals.store import schema
from signals.store.columns import utcnow
from signals.store.engine import make_engine
from sources import HttpClient
from tests.conftest import ROOT


@pytest.fixture
def setup(tmp_path: Path, receiver: HttpReceiver) -> tuple[list[str], str]:
    """Global options for a fresh SQLite store and a config dir alerting the receiver."""
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    (config / "delivery.toml").write_text(
        "[webhooks]\npause_after_failures = 2\n\n"
        "[alerts]\nintents = ['alternative_seeking']\n\n"
        f"[[alerts.recipients]]\nchannel = 'slack'\ntarget = '{receiver.url}'\n"
    )
    db = f"sqlite:///{tmp_path / 'signals.db'}"
    return ["--db", db, "--config", str(config)], db


def _invoke(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, args)
    return result.exit_code, result.stdout, result.stderr


def _add_signal(db: str) -> None:
    engine = make_engine(db)
    schema.upgrade(engine)
    with Session(engine) as session, session.begin():
        add_signal(session, 7, utcnow())
    engine.dispose()


def test_webhooks_add_list_test_deliver_pause_and_resume(
    setup: tuple[list[str], str], receiver: HttpReceiver
) -> None:
    options, db = setup
    code, out, _ = _invoke([*options, "webhooks", "add", "crm", receiver.url])
    assert code == 0
    secret = out.split("not shown again): ")[1].strip()
    assert len(secret) == 64

    code, out, _ = _invoke([*options, "webhooks", "list", "--json"])
    [listed] = [json.loads(line) for line in out.splitlines()]
    assert (listed["name"], listed["state"], listed["queued"]) == ("crm", "active", 0)
    assert secret not in out

    code, out, _ = _invoke([*options, "webhooks", "test", "crm", "--allow-host", "127.0.0.1"])
    assert (code, out.strip()) == (0, "'crm' answered HTTP 200 to a signed webhook.test event")
    assert receiver.requests[0].headers["x-signals-event"] == "webhook.test"
    assert all(receiver.verified(secret, now=utcnow().timestamp()))

    _add_signal(db)
    receiver.stop()
    for _ in range(2):  # two failed passes pause the endpoint (pause_after_failures = 2)
        code, out, err = _invoke([*options, "deliver", "--allow-host", "127.0.0.1"])
        assert code == 0
        assert "warning: webhook crm: connection failed" in err
        _make_due(db)
    code, out, _ = _invoke([*options, "webhooks", "list"])
    assert out.startswith("crm\tpaused\t")
    assert "queued=1" in out

    receiver.start()
    code, out, _ = _invoke([*options, "webhooks", "resume", "crm"])
    assert out.strip() == "resumed 'crm'; 1 queued deliveries will go out on the next run"
    code, out, _ = _invoke([*options, "deliver", "--allow-host", "127.0.0.1"])
    assert "sent 2, retrying 0, failed 0, paused 0" in out  # the webhook event and the alert
    events = sorted(
        r.headers["x-signals-event"] for r in receiver.requests if "x-signals-event" in r.headers
    )
    assert events == ["signal.detected", "webhook.test"]
    slack = [r.json() for r in receiver.requests if "blocks" in r.json()]
    assert [m["text"] for m in slack] == [
        "Buying signal: dana_ops (Acme Logistics): alternative_seeking, evaluate"
    ]


def _make_due(db: str) -> None:
    # The backoff is real time here; move the retry to now instead of sleeping.
    engine = make_engine(db)
    with engine.begin() as connection:
        from sqlalchemy import update

        from signals.store.models_delivery import Delivery

        connection.execute(update(Delivery).values(next_attempt_at=utcnow()))
    engine.dispose()


def test_webhook_mistakes_are_one_line_errors(setup: tuple[list[str], str]) -> None:
    options, _ = setup
    code, _, err = _invoke([*options, "webhooks", "resume", "nope"])
    assert (code, err.strip()) == (
        2,
        "error: no webhook named 'nope'; known: none (signals webhooks add)",
    )
    code, _, err = _invoke([*options, "webhooks", "add", "x", "ftp://example.com/hook"])
    assert code == 2
    assert "must be an http(s) URL" in err
    code, _, err = _invoke([*options, "webhooks", "add", "x", "https://e.test/h", "--event", "sig"])
    assert err.strip() == (
        "error: unknown webhook event 'sig'; "
        "known: signal.detected, stage.changed, play.triggered, contact.identified, "
        "account.updated, person.deleted, webhook.test"
    )


def test_the_loop_runs_passes_until_stopped(
    setup: tuple[list[str], str], receiver: HttpReceiver, http: HttpClient
) -> None:
    _, db = setup
    _add_signal(db)
    engine = make_engine(db)
    settings = DeliverySettings(outbox=OutboxSettings(poll_seconds=0.01))
    passes: list[delivery_runner.PassReport] = []
    delivery_runner.run_loop(engine, http, settings, passes.append, passes=3)
    engine.dispose()
    assert [p.feed.signals for p in passes] == [1, 0, 0]
