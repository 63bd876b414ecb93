"""What the outbox hands a channel, and what a channel answers."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from signals.delivery.settings import DeliverySettings
    from signals.store.models_delivery import Delivery
    from sources import HttpClient


class Mailer(Protocol):
    """Sends one e-mail; raises OSError or smtplib.SMTPException when it cannot."""

    def send(self, to: str, subject: str, text: str, message_id: str) -> None: ...


@dataclass
class SendContext:
    """Everything a channel needs to send one delivery."""

    http: HttpClient
    settings: DeliverySettings
    now: datetime
    mailer: Mailer | None = None
    rng: random.Random = field(default_factory=random.Random)


@dataclass(frozen=True)
class Outcome:
    """What became of one attempt: delivered, retry later, failed for good, or paused."""

    status: Literal["delivered", "retry", "failed", "paused"]
    error: str | None = None
    counts_as_attempt: bool = True


class Channel(Protocol):
    """A way out: webhook, Slack or e-mail."""

    def __call__(self, context: SendContext, session: Session, row: Delivery) -> Outcome: ...
