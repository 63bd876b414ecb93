"""The SMTP channel over TLS, end to end: STARTTLS and implicit TLS against a real aiosmtpd.

The certificates come from a test CA made by trustme for 127.0.0.1; the mailer checks the
certificate and the host name, trusting that CA through smtp.ca_file and nothing else.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import trustme
from mailing import send_one_mail
from receivers import SmtpReceiver
from sqlalchemy.engine import Engine

from signals.delivery.settings import SmtpSettings, load_delivery_settings
from signals.errors import ConfigError
from sources import HttpClient

PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "mail-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


def _server_context(ca: trustme.CA, host: str = "127.0.0.1") -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(host).configure_cert(context)
    return context


@pytest.fixture
def starttls_smtp(ca: trustme.CA) -> Iterator[SmtpReceiver]:
    server = SmtpReceiver(logins={"bot": PASSWORD}, starttls=_server_context(ca)).start()
    yield server
    server.stop()


@pytest.fixture
def implicit_smtp(ca: trustme.CA) -> Iterator[SmtpReceiver]:
    server = SmtpReceiver(implicit_tls=_server_context(ca)).start()
    yield server
    server.stop()


def test_starttls_then_login_then_mail(
    sqlite_engine: Engine, starttls_smtp: SmtpReceiver, http: HttpClient, ca_file: Path
) -> None:
    # The server refuses MAIL and AUTH before STARTTLS: delivery proves the upgrade happened.
    smtp = SmtpSettings("127.0.0.1", starttls_smtp.port, "starttls", "bot", PASSWORD)
    row = send_one_mail(sqlite_engine, http, replace(smtp, ca_file=ca_file))
    assert (row.status, row.last_error) == ("delivered", None)
    assert starttls_smtp.logins_tried == [("bot", True)]
    assert starttls_smtp.over_tls == [True]
    assert starttls_smtp.subjects() == ["Buying signal: dana"]


def test_implicit_tls_delivers(
    sqlite_engine: Engine, implicit_smtp: SmtpReceiver, http: HttpClient, ca_file: Path
) -> None:
    smtp = SmtpSettings("127.0.0.1", implicit_smtp.port, "ssl", ca_file=ca_file)
    row = send_one_mail(sqlite_engine, http, smtp)
    assert (row.status, row.last_error) == ("delivered", None)
    assert implicit_smtp.over_tls == [True]


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_a_certificate_from_an_untrusted_ca_stops_before_the_password(
    sqlite_engine: Engine, ca: trustme.CA, http: HttpClient, ca_file: Path, security: str
) -> None:
    # Signed by another CA than smtp.ca_file names: the mailer must not talk to it.
    stranger = _server_context(trustme.CA())
    if security == "starttls":
        server = SmtpReceiver(logins={"bot": PASSWORD}, starttls=stranger).start()
    else:
        server = SmtpReceiver(logins={"bot": PASSWORD}, implicit_tls=stranger).start()
    try:
        smtp = SmtpSettings("127.0.0.1", server.port, security, "bot", PASSWORD, ca_file=ca_file)
        row = send_one_mail(sqlite_engine, http, smtp)
    finally:
        server.stop()
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error is not None and "CERTIFICATE_VERIFY_FAILED" in row.last_error
    assert (server.logins_tried, server.messages) == ([], [])


def test_a_certificate_for_another_host_is_refused(
    sqlite_engine: Engine, ca: trustme.CA, http: HttpClient, ca_file: Path
) -> None:
    # Trusted CA, wrong name: the host name is checked, not only the signature.
    server = SmtpReceiver(implicit_tls=_server_context(ca, "mail.example.com")).start()
    try:
        smtp = SmtpSettings("127.0.0.1", server.port, "ssl", ca_file=ca_file)
        row = send_one_mail(sqlite_engine, http, smtp)
    finally:
        server.stop()
    assert row.status == "pending"
    assert row.last_error is not None and "CERTIFICATE_VERIFY_FAILED" in row.last_error
    assert server.messages == []


def test_ca_file_is_read_relative_to_the_config_and_must_hold_a_certificate(
    tmp_path: Path, ca: trustme.CA
) -> None:
    (tmp_path / "delivery.toml").write_text('[smtp]\nca_file = "mail-ca.pem"\n')
    with pytest.raises(ConfigError, match=r"smtp\.ca_file .*mail-ca\.pem.* is not a file"):
        load_delivery_settings(tmp_path)
    (tmp_path / "mail-ca.pem").write_text("-----BEGIN CERTIFICATE-----\nnot base64\n")
    with pytest.raises(ConfigError, match=r"mail-ca\.pem.* holds no usable certificate"):
        load_delivery_settings(tmp_path)
    ca.cert_pem.write_to_path(str(tmp_path / "mail-ca.pem"))
    assert load_delivery_settings(tmp_path).smtp.ca_file == tmp_path / "mail-ca.pem"
