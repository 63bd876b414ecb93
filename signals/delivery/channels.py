"""The Slack-compatible incoming-webhook channel and the SMTP e-mail channel."""

from __future__ import annotations

import hashlib
import json
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from sqlalchemy.orm import Session

from signals.delivery.records import Outcome, SendContext
from signals.delivery.settings import SmtpSettings
from signals.store.models_delivery import Delivery
from sources import BlockedAddressError, SourceError


def send_slack(context: SendContext, session: Session, row: Delivery) -> Outcome:
    """POST {"text", "blocks"} to a Slack-compatible incoming webhook (Slack, Mattermost...)."""
    body = json.dumps(row.payload, separators=(",", ":")).encode("utf-8")
    headers = {"Content-Type": "application/json", "Idempotency-Key": row.idempotency_key}
    try:
        context.http.post(row.target, body, headers=headers)
    except BlockedAddressError as exc:
        return Outcome("failed", f"{exc}; add the host to http.allow_hosts if it is yours")
    except SourceError as exc:
        # The URL carries the webhook's secret token: name the host only.
        return Outcome("retry", str(exc).replace(row.target, _host(row.target)))
    return Outcome("delivered")


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).hostname or "the Slack webhook"


def send_email(context: SendContext, session: Session, row: Delivery) -> Outcome:
    """Send the queued {"subject", "text"} to row.target over SMTP."""
    mailer = context.mailer or SmtpMailer(context.settings.smtp)
    # The same Message-ID on every retry lets mail systems drop a duplicate.
    digest = hashlib.sha256(row.idempotency_key.encode("utf-8")).hexdigest()[:32]
    message_id = f"<{digest}@buying-signals>"
    try:
        mailer.send(row.target, str(row.payload["subject"]), str(row.payload["text"]), message_id)
    except smtplib.SMTPRecipientsRefused as exc:
        return Outcome("failed", f"the server refused the recipient: {_smtp_reason(exc)}")
    except (smtplib.SMTPException, OSError) as exc:
        return Outcome("retry", f"SMTP: {_smtp_reason(exc)}")
    return Outcome("delivered")


def _smtp_reason(exc: BaseException) -> str:
    # smtplib errors carry server replies, never our credentials; keep them short anyway.
    return f"{type(exc).__name__}: {exc}"[:300]


class SmtpMailer:
    """Sends plain-text mail through the configured server (STARTTLS, SSL or plain)."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def send(self, to: str, subject: str, text: str, message_id: str) -> None:
        message = EmailMessage()
        message["From"] = self.settings.sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False, usegmt=True)
        message["Message-ID"] = message_id
        message.set_content(text)
        with self._connect() as smtp:
            if self.settings.username:
                smtp.login(self.settings.username, self.settings.password)
            smtp.send_message(message)

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.security == "ssl":
            context = self._tls_context()
            return smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout_seconds, context=context)
        smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout_seconds)
        if s.security == "starttls":
            try:
                smtp.starttls(context=self._tls_context())
            except BaseException:
                smtp.close()
                raise
        return smtp

    def _tls_context(self) -> ssl.SSLContext:
        """Certificate and host name checked, against smtp.ca_file or the system's CAs."""
        ca_file = self.settings.ca_file
        return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
