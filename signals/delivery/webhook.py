"""Signed webhooks: endpoints, publishing events to them, sending one, pausing and resuming.

Each request carries the JSON event, `X-Signals-Event`, an `Idempotency-Key` that stays the
same across retries, and `X-Signals-Signature` (see signals.delivery.signing). An endpoint
that fails `webhooks.pause_after_failures` times in a row is paused: its queued deliveries
wait, nothing is dropped, and `signals webhooks resume NAME` sends them.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlmodel import col, select

from signals.delivery import outbox
from signals.delivery.records import Outcome, SendContext
from signals.delivery.signing import HEADER, sign
from signals.errors import ConfigError
from signals.store.columns import utcnow
from signals.store.models_delivery import Delivery, WebhookEndpoint
from sources import BlockedAddressError, HttpClient, SourceError

EVENTS = (
    "signal.detected",
    "stage.changed",
    "play.triggered",
    "contact.identified",
    "account.updated",
    "person.deleted",
    "webhook.test",
)


def add_endpoint(
    session: Session,
    name: str,
    url: str,
    secret: str | None = None,
    events: Sequence[str] = (),
) -> WebhookEndpoint:
    """Register an endpoint (the caller commits); a secret is generated when none is given."""
    name = name.strip()
    if not name:
        raise ConfigError("a webhook needs a name, e.g. `signals webhooks add crm https://...`")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"webhook URL {url!r} must be an http(s) URL with a host")
    unknown = sorted(set(events) - set(EVENTS))
    if unknown:
        raise ConfigError(f"unknown webhook event {unknown[0]!r}; known: {', '.join(EVENTS)}")
    if find_endpoint(session, name) is not None:
        raise ConfigError(f"a webhook named {name!r} exists; pick another name")
    endpoint = WebhookEndpoint(
        name=name, url=url, secret=secret or secrets.token_hex(32), events=list(events)
    )
    session.add(endpoint)
    session.flush()
    return endpoint


def find_endpoint(session: Session, name: str) -> WebhookEndpoint | None:
    return session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.name == name)).first()


def endpoint_named(session: Session, name: str) -> WebhookEndpoint:
    """The endpoint, or a ConfigError listing the known ones."""
    endpoint = find_endpoint(session, name)
    if endpoint is None:
        known = [e.name for e in session.scalars(select(WebhookEndpoint))]
        raise ConfigError(
            f"no webhook named {name!r}; known: {', '.join(known) or 'none (signals webhooks add)'}"
        )
    return endpoint


def resume(session: Session, name: str, now: datetime | None = None) -> int:
    """Unpause an endpoint and requeue its paused deliveries; returns how many were requeued."""
    endpoint = endpoint_named(session, name)
    endpoint.paused_at = None
    endpoint.consecutive_failures = 0
    endpoint.enabled = True
    result = session.execute(
        update(Delivery)
        .where(col(Delivery.channel) == "webhook")
        .where(col(Delivery.target) == endpoint.name)
        .where(col(Delivery.status) == "paused")
        .values(status="pending", next_attempt_at=now or utcnow())
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def publish(
    session: Session,
    event: str,
    key: str,
    data: dict[str, Any],
    contact_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """Queue event for every enabled endpoint that wants it; returns how many were queued."""
    moment = now or utcnow()
    queued = 0
    for endpoint in session.scalars(select(WebhookEndpoint).order_by(col(WebhookEndpoint.id))):
        if not endpoint.enabled or (endpoint.events and event not in endpoint.events):
            continue
        envelope = {"id": key, "event": event, "created_at": moment.isoformat(), "data": data}
        # Paused endpoints still queue: nothing is lost while someone fixes the receiver.
        status = "paused" if endpoint.paused_at else "pending"
        queued += outbox.enqueue(
            session,
            "webhook",
            endpoint.name,
            f"{event}:{key}@{endpoint.name}",
            {"event": event, "body": envelope},
            contact_id,
            status=status,
            now=moment,
        )
    return queued


def body_bytes(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent and signed for a webhook payload."""
    return json.dumps(payload["body"], sort_keys=True, separators=(",", ":")).encode("utf-8")


def send(context: SendContext, session: Session, row: Delivery) -> Outcome:
    """POST one queued event to its endpoint, signed; count failures and pause when due."""
    endpoint = find_endpoint(session, row.target)
    if endpoint is None:
        return Outcome("failed", f"no webhook endpoint named {row.target!r} any more")
    if endpoint.paused_at is not None or not endpoint.enabled:
        return Outcome(
            "paused", f"endpoint paused; `signals webhooks resume {endpoint.name}`", False
        )
    body = body_bytes(row.payload)
    headers = {
        "Content-Type": "application/json",
        HEADER: sign(endpoint.secret, body, int(context.now.timestamp())),
        "Idempotency-Key": row.idempotency_key,
        "X-Signals-Event": str(row.payload.get("event", "")),
    }
    try:
        context.http.post(endpoint.url, body, headers=headers)
    except BlockedAddressError as exc:
        # A configuration problem: retrying cannot help, and pausing makes it visible.
        return _failure(context, session, endpoint, str(exc), pause_now=True)
    except SourceError as exc:
        return _failure(context, session, endpoint, str(exc))
    endpoint.consecutive_failures = 0
    return Outcome("delivered")


def _failure(
    context: SendContext,
    session: Session,
    endpoint: WebhookEndpoint,
    error: str,
    pause_now: bool = False,
) -> Outcome:
    endpoint.consecutive_failures += 1
    limit = context.settings.webhooks.pause_after_failures
    if not pause_now and endpoint.consecutive_failures < limit:
        return Outcome("retry", error)
    endpoint.paused_at = context.now
    session.execute(
        update(Delivery)
        .where(col(Delivery.channel) == "webhook")
        .where(col(Delivery.target) == endpoint.name)
        .where(col(Delivery.status) == "pending")
        .values(status="paused")
    )
    return Outcome(
        "paused", f"{error}; endpoint paused after {endpoint.consecutive_failures} failures"
    )


def ping(session: Session, http: HttpClient, name: str, now: datetime | None = None) -> int:
    """POST a signed webhook.test event to the endpoint now, paused or not; its HTTP status."""
    endpoint = endpoint_named(session, name)
    moment = now or utcnow()
    key = f"webhook.test:{secrets.token_hex(8)}@{endpoint.name}"
    envelope = {"id": key, "event": "webhook.test", "created_at": moment.isoformat(), "data": {}}
    body = body_bytes({"body": envelope})
    headers = {
        "Content-Type": "application/json",
        HEADER: sign(endpoint.secret, body, int(moment.timestamp())),
        "Idempotency-Key": key,
        "X-Signals-Event": "webhook.test",
    }
    return http.post(endpoint.url, body, headers=headers).status
