"""The SMTP channel against a real aiosmtpd server: login, refusals, and secrets kept out."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from mailing import send_one_mail
from receivers import SmtpReceiver
from sqlalchemy.engine import Engine

from signals.delivery.settings import SmtpSettings
from sources import HttpClient

PASSWORD = "correct-horse-battery"


@pytest.fixture
def authed_smtp() -> Iterator[SmtpReceiver]:
    server = SmtpReceiver(logins={"bot": PASSWORD}).start()
    yield server
    server.stop()


def test_mail_goes_out_after_logging_in(
    sqlite_engine: Engine, authed_smtp: SmtpReceiver, http: HttpClient
) -> None:
    smtp = SmtpSettings("127.0.0.1", authed_smtp.port, "none", "bot", PASSWORD)
    row = send_one_mail(sqlite_engine, http, smtp)
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
    row = send_one_mail(sqlite_engine, http, smtp)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error is not None and "SMTPAuthenticationError" in row.last_error
    assert "wrong-pass-123" not in row.last_error
    assert authed_smtp.messages == []


def test_starttls_is_required_before_credentials_are_sent(
    sqlite_engine: Engine, authed_smtp: SmtpReceiver, http: HttpClient
) -> None:
    # The server offers no STARTTLS: the mailer must stop before it sends the password.
    smtp = SmtpSettings("127.0.0.1", authed_smtp.port, "starttls", "bot", PASSWORD)
    row = send_one_mail(sqlite_engine, http, smtp)
    assert row.status == "pending"
    assert row.last_error is not None and "STARTTLS" in row.last_error
    assert authed_smtp.logins_tried == []
    assert authed_smtp.messages == []
