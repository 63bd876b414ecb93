"""My alerts: a user's choice (at once or a digest) decides how alerts reach their inbox."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import lxml.html
import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlmodel import select
from webtools import WebClient

from signals.delivery import runner
from signals.delivery.channels import SmtpMailer
from signals.delivery.settings import AlertRules, DeliverySettings, SmtpSettings
from signals.store.models_delivery import AlertSubscription
from signals.store.models_web import User
from sources import HttpClient, HttpSettings
from tests.delivery.receivers import SmtpReceiver
from tests.delivery.store_rows import add_signal

Login = Callable[[str], WebClient]
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    receiver = SmtpReceiver().start()
    yield receiver
    receiver.stop()


def _save(client: WebClient, **form: str) -> tuple[int, str]:
    response = client.post("/alerts", data={"csrf_token": client.csrf, **form})
    return response.status_code, response.text


def _deliver(engine: Engine, smtp: SmtpReceiver, now: datetime) -> None:
    settings = DeliverySettings(
        smtp=SmtpSettings(host="127.0.0.1", port=smtp.port, security="none", timeout_seconds=5),
        alerts=AlertRules(intents=("alternative_seeking",), min_confidence=0.7, max_age_hours=48),
    )
    with HttpClient(HttpSettings(allow_hosts=frozenset({"127.0.0.1"}))) as http:
        mailer = SmtpMailer(settings.smtp)
        runner.run_once(engine, http, settings, now, mailer=mailer, rng=random.Random(1))


def test_each_user_gets_alerts_as_they_chose_on_the_page(
    as_user: Login, sqlite_engine: Engine, smtp: SmtpReceiver
) -> None:
    assert _save(as_user("mara"), email="mara@example.com", mode="immediate")[0] == 303
    cora = as_user("cora")
    assert _save(cora, email="cora@example.com", mode="digest", digest_minutes="30")[0] == 303
    page = lxml.html.fromstring(cora.get("/alerts").text)
    assert page.xpath("//ul[@class='subscriptions']/li/text()") == [
        "email: cora@example.com (digest, every 30 min)"
    ]
    with Session(sqlite_engine) as session:
        rows = session.scalars(select(AlertSubscription).order_by(AlertSubscription.target))
        users = {u.id: u.name for u in session.scalars(select(User))}
        assert [(users[r.user_id or 0], r.mode) for r in rows] == [
            ("cora", "digest"),
            ("mara", "immediate"),
        ]
        for n in range(3):
            add_signal(session, 100 + n, T0 - timedelta(minutes=5), author=f"buyer{n}")
        session.commit()
    _deliver(sqlite_engine, smtp, T0)
    assert sorted(m["Subject"] for m in smtp.messages if "buyer" in m["Subject"]) == [
        f"Buying signal: buyer{n} (Acme Logistics): alternative_seeking, evaluate" for n in range(3)
    ]
    # The seeded signals are recent too; cora waits for her digest.
    assert {m["To"] for m in smtp.messages} == {"mara@example.com"}
    at_once = len(smtp.messages)
    _deliver(sqlite_engine, smtp, T0 + timedelta(minutes=31))
    assert [m["To"] for m in smtp.messages][at_once:] == ["cora@example.com"]
    assert smtp.messages[at_once]["Subject"].startswith(
        f"Buying signals digest: {at_once} signal(s)"
    )


def test_bad_or_taken_addresses_are_one_line_errors_and_keep_the_old_choice(
    as_user: Login,
) -> None:
    mara = as_user("mara")
    assert _save(mara, email="mara@example.com", mode="immediate")[0] == 303
    status, html = _save(mara, slack_url="ftp://hooks.example/x", mode="immediate")
    assert status == 400
    error = lxml.html.fromstring(html).xpath("//p[@class='error']/text()")
    assert error == ["a Slack subscription needs the incoming-webhook URL as its target"]
    status, html = _save(as_user("cora"), email="mara@example.com", mode="digest")
    assert status == 400
    error = lxml.html.fromstring(html).xpath("//p[@class='error']/text()")
    assert error == ["'mara@example.com' already receives alerts; choose another email"]
    listed = lxml.html.fromstring(mara.get("/alerts").text)
    assert listed.xpath("//ul[@class='subscriptions']/li/text()") == [
        "email: mara@example.com (immediate)"
    ]


def test_changing_alerts_needs_the_csrf_token(as_user: Login) -> None:
    mara = as_user("mara")
    response = mara.post("/alerts", data={"email": "x@example.com", "mode": "immediate"})
    assert response.status_code == 403
    assert "No alerts." in mara.get("/alerts").text
