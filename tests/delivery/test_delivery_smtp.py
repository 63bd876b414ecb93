"""The SMTP channel against a real aiosmtpd server: login, refusals, and secrets kept out."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from receivers import SmtpReceiver
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlmodel import select

from signals.delivery import outbox
from signals.delivery.channels import SmtpMailer
from signals.delivery.settings import DeliverySettings, SmtpSettings
from signals.store.models_delivery import Delivery
from sources import HttpClient

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
PASSWORD = "correct-horse-battery"


@pytest.fixture
def authed_smtp() -> Iterator[SmtpReceiver]:
    server = SmtpReceiver(logins={"bot": PASSWORD}).start()
    yield server
    server.stop()


def _send(engine: Engine, http: HttpClient, smtp: SmtpSettings) -> Delivery:
    with Session(engine) as session, session.begin():
        payload = {"subject": "Buying signal: dana", "text": "looking for an alternative\n"}
        outbox.enqueue(session, "email", "sales@example.com", "alert:signal:1:1", payload, now=T0)
    smtp = replace(smtp, timeout_seconds=5)
    settings = DeliverySettings(smtp=smtp)
    outbox.deliver_due(engine, http, T0, settings=settings, mailer=SmtpMailer(smtp))
    with Session(engine) as session:
        return session.scalars(select(Delivery)).one()


def test_mail_goes_out_after_logging_in(
    sqlite_engine: Engine, authed_smtp: SmtpReceiver, http: HttpClient
) -> None:
    smtp = SmtpSettings("127.0.0.1", authed_smtp.port, "none", "bot", PASSWORD)
    row = _send(sqlite_engine, http, smtp)
    assert row.status == "delivered"
    assert authed_smtp.logins_tried == [("bot", True)]
    assert authed_smtp.over_tls == [False]  # security "none": plain text, on loopback only
    [mail] = authed_smtp.messages
    assert (mail["From"], mail["To"]) == ("signals@localhost", "sales@example.com")
    assert mail["Message-ID"].endswith("@buying-signals>")


def test_a_wrong_password_is_retried_and_never_shown(
    sqlite_engine: Engine, authed_smtp: SmtpReceiver, http: HttpClient
) -> None:
    smtp = SmtpSettings("127.0.0.1", authed_smtp.port, "none", "bot", "wrong-pass-123")
    row = _send(sqlite_engine, http, smtp)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error is not None and "SMTPAuthenticationError" in row.last_error
    assert "wrong-pass-123" not in row.last_error
    assert authed_smtp.messages == []


def test_starttls_is_required_before_credentials_are_sent(
    sqlite_engine: Engine, authed_smtp: SmtpReceiver, http: HttpClient
) -> None:
    # The server offers no STARTTLS: the mailer must stop before it sends the password.
    smtp = SmtpSettings("127.0.0.1", authed_smtp.port, "starttls", "bot", PASSWORD)
    row = _send(sqlite_engine, http, smtp)
    assert row.status == "pending"
    assert row.last_error is not None and "STARTTLS" in row.last_error
    assert authed_smtp.logins_tried == []
    assert authed_smtp.messages == []
