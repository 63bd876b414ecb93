"""One alert e-mail queued and sent through the outbox, for the SMTP channel tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlmodel import select

from signals.delivery import outbox
from signals.delivery.channels import SmtpMailer
from signals.delivery.settings import DeliverySettings, SmtpSettings
from signals.store.models_delivery import Delivery
from sources import HttpClient

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def send_one_mail(engine: Engine, http: HttpClient, smtp: SmtpSettings) -> Delivery:
    """Queue one e-mail, run one delivery round with `smtp`, return the outbox row."""
    with Session(engine) as session, session.begin():
        payload = {"subject": "Buying signal: dana", "text": "looking for an alternative\n"}
        outbox.enqueue(session, "email", "sales@example.com", "alert:signal:1:1", payload, now=T0)
    smtp = replace(smtp, timeout_seconds=5)
    settings = DeliverySettings(smtp=smtp)
    outbox.deliver_due(engine, http, T0, settings=settings, mailer=SmtpMailer(smtp))
    with Session(engine) as session:
        return session.scalars(select(Delivery)).one()
