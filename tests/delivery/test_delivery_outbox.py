"""The outbox over a real local receiver that goes down and comes back, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta

import pytest
from receivers import HttpReceiver
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlmodel import select

from signals.delivery import outbox, webhook
from signals.delivery.settings import DeliverySettings, OutboxSettings, WebhookSettings
from signals.store.models_delivery import Delivery, WebhookEndpoint
from sources import HttpClient

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SECRET = "s3cret-for-tests"


def _settings(pause_after: int = 50, max_attempts: int = 8) -> DeliverySettings:
    return DeliverySettings(
        outbox=OutboxSettings(
            max_attempts=max_attempts, backoff_base_seconds=30, backoff_max_seconds=3600
        ),
        webhooks=WebhookSettings(pause_after_failures=pause_after),
    )


def _add_endpoint(engine: Engine, url: str, events: list[str] | None = None) -> None:
    with Session(engine) as session, session.begin():
        webhook.add_endpoint(session, "crm", url, SECRET, events or [])


def _publish(engine: Engine, count: int, start: int = 0) -> None:
    with Session(engine) as session, session.begin():
        for n in range(start, start + count):
            data = {"signal_id": n, "quote": f"which CRM should we pick? #{n}"}
            webhook.publish(session, "signal.detected", f"signal-{n}", data, now=T0)


def _statuses(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return [d.status for d in session.scalars(select(Delivery).order_by(Delivery.id))]


def test_enqueue_is_idempotent_by_key(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        assert outbox.enqueue(session, "slack", "https://x.test/h", "k1", {"text": "a"}, now=T0)
        assert not outbox.enqueue(session, "slack", "https://x.test/h", "k1", {"text": "b"}, now=T0)
    with Session(engine) as session:
        rows = list(session.scalars(select(Delivery)))
    assert [(r.idempotency_key, r.payload) for r in rows] == [("k1", {"text": "a"})]


def test_receiver_down_then_back_gets_every_event_exactly_once(
    engine: Engine, receiver: HttpReceiver, http: HttpClient
) -> None:
    _add_endpoint(engine, receiver.url)
    _publish(engine, 6)
    receiver.stop()  # the port is closed: connections are refused
    settings, rng = _settings(), random.Random(7)

    down = outbox.deliver_due(engine, http, T0, settings=settings, rng=rng)
    assert (down.attempted, down.delivered, down.retrying) == (6, 0, 6)
    assert "connection failed" in down.errors[0]
    # Backoff: a second pass a moment later sends nothing, and the clock is all that moved.
    assert (
        outbox.deliver_due(engine, http, T0 + timedelta(seconds=5), settings=settings).attempted
        == 0
    )
    still_down = outbox.deliver_due(
        engine, http, T0 + timedelta(minutes=2), settings=settings, rng=rng
    )
    assert still_down.retrying == 6

    receiver.start()
    back = outbox.deliver_due(engine, http, T0 + timedelta(hours=1), settings=settings, rng=rng)
    assert (back.delivered, back.retrying, back.failed) == (6, 0, 0)
    assert (
        outbox.deliver_due(engine, http, T0 + timedelta(hours=2), settings=settings).attempted == 0
    )

    by_key = receiver.by_key()
    assert sorted(by_key) == sorted(f"signal.detected:signal-{n}@crm" for n in range(6))
    assert all(len(requests) == 1 for requests in by_key.values())
    assert sorted(r.json()["data"]["signal_id"] for r in receiver.requests) == list(range(6))
    assert {r.headers["x-signals-event"] for r in receiver.requests} == {"signal.detected"}
    assert _statuses(engine) == ["delivered"] * 6
    with Session(engine) as session:
        assert {d.attempts for d in session.scalars(select(Delivery))} == {3}


def test_a_crash_after_sending_resends_only_that_event_with_the_same_key(
    engine: Engine, receiver: HttpReceiver, http: HttpClient
) -> None:
    _add_endpoint(engine, receiver.url)
    _publish(engine, 3)
    outbox.deliver_due(engine, http, T0, settings=_settings())
    # A crash between sending and committing leaves the in-flight row pending, as before.
    with Session(engine) as session, session.begin():
        row = session.scalars(select(Delivery).order_by(Delivery.id)).first()
        assert row is not None
        row.status, row.delivered_at = "pending", None
    outbox.deliver_due(engine, http, T0 + timedelta(seconds=1), settings=_settings())
    by_key = receiver.by_key()
    assert len(receiver.requests) == 4
    assert len(by_key) == 3
    assert sorted(len(v) for v in by_key.values()) == [1, 1, 2]
    duplicate = next(v for v in by_key.values() if len(v) == 2)
    assert duplicate[0].body == duplicate[1].body


def test_signatures_verify_and_a_tampered_body_does_not(
    engine: Engine, receiver: HttpReceiver, http: HttpClient
) -> None:
    from signals.delivery.signing import verify

    _add_endpoint(engine, receiver.url)
    _publish(engine, 2)
    outbox.deliver_due(engine, http, T0, settings=_settings())
    assert receiver.verified(SECRET, now=T0.timestamp() + 10) == [True, True]
    assert receiver.verified("wrong-secret", now=T0.timestamp()) == [False, False]
    first = receiver.requests[0]
    header = first.headers["x-signals-signature"]
    assert header.startswith(f"t={int(T0.timestamp())},v1=")
    tampered = first.body.replace(b"signal-0", b"signal-9")
    assert not verify(SECRET, header, tampered, now=T0.timestamp())
    # Replays are refused once the timestamp is older than the tolerance.
    assert not verify(SECRET, header, first.body, tolerance=300, now=T0.timestamp() + 301)


def test_an_endpoint_pauses_after_repeated_failures_and_resume_delivers_everything(
    engine: Engine, receiver: HttpReceiver, http: HttpClient
) -> None:
    _add_endpoint(engine, receiver.url)
    _publish(engine, 2)
    receiver.fail_next = 3  # the receiver answers 503 three times
    settings, clock = _settings(pause_after=3), T0
    for _ in range(3):
        outbox.deliver_due(engine, http, clock, settings=settings)
        clock += timedelta(hours=2)
    with Session(engine) as session:
        endpoint = webhook.endpoint_named(session, "crm")
        assert endpoint.paused_at is not None
        assert endpoint.consecutive_failures == 3
    assert _statuses(engine) == ["paused", "paused"]
    assert receiver.requests == []

    # While paused nothing is attempted, and new events wait instead of being dropped.
    _publish(engine, 1, start=10)
    assert outbox.deliver_due(engine, http, clock, settings=settings).attempted == 0
    assert _statuses(engine) == ["paused"] * 3

    with Session(engine) as session, session.begin():
        assert webhook.resume(session, "crm", now=clock) == 3
    report = outbox.deliver_due(engine, http, clock, settings=settings)
    assert report.delivered == 3
    assert sorted(receiver.by_key()) == sorted(
        f"signal.detected:signal-{n}@crm" for n in (0, 1, 10)
    )
    with Session(engine) as session:
        assert session.scalars(select(WebhookEndpoint)).one().consecutive_failures == 0


def test_attempts_are_bounded_then_the_delivery_fails(
    engine: Engine, receiver: HttpReceiver, http: HttpClient
) -> None:
    with Session(engine) as session, session.begin():
        outbox.enqueue(session, "slack", receiver.url, "alert-1", {"text": "hi"}, now=T0)
    receiver.stop()
    settings, clock = _settings(max_attempts=3), T0
    errors: list[str] = []
    for _ in range(5):
        errors += outbox.deliver_due(engine, http, clock, settings=settings).errors
        clock += timedelta(days=1)
    with Session(engine) as session:
        row = session.scalars(select(Delivery)).one()
    assert (row.status, row.attempts) == ("failed", 3)
    assert row.last_error is not None and "connection failed" in row.last_error
    # A Slack webhook URL is a credential: errors name its host, never its path.
    assert len(errors) == 3
    assert all(e.startswith("slack 127.0.0.1: ") for e in errors)
    assert not any("/hook" in e for e in [*errors, row.last_error])


def test_endpoints_get_only_the_events_they_asked_for(engine: Engine) -> None:
    _add_endpoint(engine, "https://crm.example.com/hook", events=["stage.changed"])
    _publish(engine, 2)
    with Session(engine) as session, session.begin():
        webhook.publish(session, "stage.changed", "change-1", {"new": "Evaluate"}, now=T0)
    with Session(engine) as session:
        keys = [d.idempotency_key for d in session.scalars(select(Delivery))]
    assert keys == ["stage.changed:change-1@crm"]


@pytest.mark.parametrize("attempts", [1, 2, 3, 8, 20])
def test_backoff_doubles_with_jitter_and_is_capped(attempts: int) -> None:
    settings = OutboxSettings(backoff_base_seconds=30, backoff_max_seconds=3600)
    ceiling = min(3600, 30 * 2 ** (attempts - 1))
    delays = {
        outbox.backoff(attempts, settings, random.Random(s)).total_seconds() for s in range(50)
    }
    assert all(ceiling / 2 <= d <= ceiling for d in delays)
    assert len(delays) > 40  # jitter: retries of many rows do not land at one instant


@pytest.mark.postgres
def test_two_workers_on_postgresql_never_send_the_same_row(
    postgres_url: str, receiver: HttpReceiver
) -> None:
    from signals.store import schema
    from signals.store.engine import make_engine
    from sources import HttpSettings

    engine = make_engine(postgres_url)
    schema.upgrade(engine)
    _add_endpoint(engine, receiver.url)
    _publish(engine, 20)
    receiver.delay = 0.03
    reports: list[outbox.DeliveryReport] = []

    def worker() -> None:
        settings = HttpSettings(allow_hosts=frozenset({"127.0.0.1"}))
        with HttpClient(settings) as client:
            reports.append(outbox.deliver_due(engine, client, T0, settings=_settings()))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    engine.dispose()
    assert len(receiver.requests) == 20
    assert all(len(v) == 1 for v in receiver.by_key().values())
    assert sorted(r.delivered for r in reports)[0] > 0  # both workers took a share
    assert sum(r.delivered for r in reports) == 20


def test_erasing_a_contact_drops_their_queued_deliveries_and_digest_items(engine: Engine) -> None:
    from store_rows import add_signal

    from signals.delivery import alerts
    from signals.delivery.settings import AlertRules, Recipient
    from signals.store import models as db
    from signals.store.models_delivery import DigestItem

    rules = AlertRules(
        recipients=(
            Recipient("email", "a@example.com"),
            Recipient("email", "b@example.com", "digest"),
        )
    )
    with Session(engine) as session, session.begin():
        alerts.sync_subscriptions(session, rules)
        signal_id = add_signal(session, 1, T0)
        add_signal(session, 2, T0, author="other", account=None)
        assert alerts.on_new_signals(session, [signal_id, signal_id + 1], rules, T0) == 4
    with Session(engine) as session, session.begin():
        contact = session.scalars(
            select(db.Contact).where(db.Contact.display_name == "dana_ops")
        ).one()
        session.delete(contact)
    with Session(engine) as session:
        assert [d.target for d in session.scalars(select(Delivery))] == ["a@example.com"]
        assert [i.alert["who"] for i in session.scalars(select(DigestItem))] == ["other"]


def test_without_an_injected_clock_each_request_is_signed_when_sent(
    sqlite_engine: Engine, receiver: HttpReceiver, http: HttpClient
) -> None:
    import time

    _add_endpoint(sqlite_engine, receiver.url)
    _publish(sqlite_engine, 2)
    receiver.delay = 1.1  # a slow receiver: the second request leaves a second later
    before = time.time()
    assert outbox.deliver_due(sqlite_engine, http, settings=_settings()).delivered == 2
    stamps = [int(r.headers["x-signals-signature"][2:].split(",")[0]) for r in receiver.requests]
    assert stamps[0] >= int(before)
    assert stamps[1] > stamps[0]
    assert receiver.verified(SECRET, now=time.time()) == [True, True]
