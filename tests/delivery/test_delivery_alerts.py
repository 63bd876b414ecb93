"""Alerts reach a real local SMTP server and a real local HTTP receiver, through the outbox."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from receivers import HttpReceiver, SmtpReceiver
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlmodel import Session as ModelSession
from store_rows import add_signal

from signals.delivery import alerts, runner, webhook
from signals.delivery.channels import SmtpMailer
from signals.delivery.settings import (
    AlertRules,
    DeliverySettings,
    OutboxSettings,
    Recipient,
    SmtpSettings,
)
from signals.errors import ConfigError
from signals.people import publish, segment
from signals.store.models_people import StageChange
from signals.web.passwords import add_user
from sources import HttpClient

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _settings(smtp: SmtpReceiver, *recipients: Recipient) -> DeliverySettings:
    return DeliverySettings(
        outbox=OutboxSettings(backoff_base_seconds=30, backoff_max_seconds=600),
        smtp=SmtpSettings(host="127.0.0.1", port=smtp.port, security="none", timeout_seconds=5),
        alerts=AlertRules(
            intents=("alternative_seeking", "pricing_inquiry"),
            min_confidence=0.7,
            max_age_hours=48,
            recipients=recipients,
        ),
    )


def _run(
    engine: Engine, http: HttpClient, settings: DeliverySettings, now: datetime
) -> runner.PassReport:
    mailer = SmtpMailer(settings.smtp)
    return runner.run_once(engine, http, settings, now, mailer=mailer, rng=random.Random(1))


def test_a_high_intent_signal_reaches_slack_and_email_at_once(
    engine: Engine, receiver: HttpReceiver, smtp: SmtpReceiver, http: HttpClient
) -> None:
    settings = _settings(
        smtp, Recipient("slack", receiver.url), Recipient("email", "sales@example.com")
    )
    with Session(engine) as session, session.begin():
        add_signal(session, 1, T0 - timedelta(minutes=5))
        add_signal(session, 2, T0 - timedelta(minutes=5), confidence=0.4)  # below the bar
        add_signal(session, 3, T0 - timedelta(minutes=5), intents=("recommendation_request",))
        add_signal(session, 4, T0 - timedelta(days=5))  # a backlog post, not news
    report = _run(engine, http, settings, T0)
    assert (report.feed.signals, report.feed.alerts, report.outbox.delivered) == (4, 2, 2)

    [slack] = receiver.requests
    message = slack.json()
    assert (
        message["text"] == "Buying signal: dana_ops (Acme Logistics): alternative_seeking, evaluate"
    )
    section = message["blocks"][0]["text"]["text"]
    assert "looking for an alternative to Jira (#1)" in section
    assert "<https://www.reddit.com/r/sysadmin/comments/1/|open the post>" in section
    assert "confidence: 90%" in section

    [mail] = smtp.messages
    assert mail["To"] == "sales@example.com"
    assert smtp.subjects() == [message["text"]]
    body = smtp.bodies()[0]
    for needed in (
        "> Jira replacement #1: We are a 40-person team looking for an alternative to Jira (#1)",
        'evidence: "looking for an alternative to Jira"',
        "stage: evaluate; intents: alternative_seeking",
        "confidence: 90%",
        "where: r/sysadmin",
        "link: https://www.reddit.com/r/sysadmin/comments/1/",
    ):
        assert needed in body

    # A second pass finds nothing new: every signal is alerted once.
    again = _run(engine, http, settings, T0 + timedelta(minutes=1))
    assert (again.feed.signals, again.feed.alerts, again.outbox.attempted) == (0, 0, 0)


def test_alerts_are_retried_while_receivers_are_down_and_delivered_once_back(
    engine: Engine, receiver: HttpReceiver, smtp: SmtpReceiver, http: HttpClient
) -> None:
    settings = _settings(
        smtp, Recipient("slack", receiver.url), Recipient("email", "sales@example.com")
    )
    with Session(engine) as session, session.begin():
        add_signal(session, 1, T0)
        add_signal(session, 2, T0, author="lee", account=None)
    receiver.stop()
    smtp.stop()
    down = _run(engine, http, settings, T0)
    assert (down.outbox.attempted, down.outbox.delivered, down.outbox.retrying) == (4, 0, 4)
    assert any("SMTP" in e for e in down.outbox.errors)
    still = _run(engine, http, settings, T0 + timedelta(minutes=1))
    assert still.outbox.retrying == 4

    receiver.start()
    smtp.start()
    back = _run(engine, http, settings, T0 + timedelta(hours=1))
    assert (back.outbox.delivered, back.outbox.retrying) == (4, 0)
    assert _run(engine, http, settings, T0 + timedelta(hours=2)).outbox.attempted == 0

    assert len(receiver.requests) == 2
    assert len(set(receiver.by_key())) == 2
    assert sorted(smtp.subjects()) == [
        "Buying signal: dana_ops (Acme Logistics): alternative_seeking, evaluate",
        "Buying signal: lee: alternative_seeking, evaluate",
    ]
    assert len({m["Message-ID"] for m in smtp.messages}) == 2


def test_digest_mode_folds_n_alerts_into_one_email(
    engine: Engine, smtp: SmtpReceiver, http: HttpClient
) -> None:
    settings = _settings(smtp, Recipient("email", "cm@example.com", "digest", digest_minutes=60))
    with Session(engine) as session, session.begin():
        for n in range(5):
            add_signal(session, n, T0 - timedelta(minutes=n), author=f"buyer{n}", account=None)
    first = _run(engine, http, settings, T0)
    assert (first.feed.alerts, first.digests, first.outbox.attempted) == (5, 0, 0)
    assert _run(engine, http, settings, T0 + timedelta(minutes=30)).digests == 0
    assert smtp.messages == []

    due = _run(engine, http, settings, T0 + timedelta(minutes=61))
    assert (due.digests, due.outbox.delivered) == (1, 1)
    [mail] = smtp.messages
    assert mail["To"] == "cm@example.com"
    assert smtp.subjects() == ["Buying signals digest: 5 signal(s), 0 stage change(s)"]
    body = smtp.bodies()[0]
    for n in range(5):
        assert f"Buying signal: buyer{n}: alternative_seeking, evaluate" in body
        assert f"looking for an alternative to Jira (#{n})" in body
    # The folded items are gone: the next interval sends nothing until new alerts arrive.
    assert _run(engine, http, settings, T0 + timedelta(hours=3)).digests == 0
    assert len(smtp.messages) == 1


def test_stage_changes_alert_and_go_to_webhooks_as_segment_events(
    engine: Engine, receiver: HttpReceiver, smtp: SmtpReceiver, http: HttpClient
) -> None:
    settings = _settings(smtp, Recipient("email", "sales@example.com"))
    with Session(engine) as session, session.begin():
        add_signal(session, 1, T0 - timedelta(hours=1))
        webhook.add_endpoint(session, "crm", receiver.url, "whsec")
        # As signals.people.stages records a change: the row, and its Segment event.
        changes = [
            StageChange(contact_id=1, kind=kind, old=old, new=new, reason=why, occurred_at=T0)
            for kind, old, new, why in (
                ("lifecycle", "MIL", "MQL", "score passed 60"),
                ("buyer", "evaluate", "sample", "started a trial"),
            )
        ]
        session.add_all(changes)
        session.flush()
        publish.publish(session, [segment.stage_event(change) for change in changes])
    report = _run(engine, http, settings, T0)
    assert (report.feed.signals, report.feed.stage_changes) == (1, 2)
    assert report.feed.webhooks == 3
    assert sorted(smtp.subjects()) == [
        "Buying signal: dana_ops (Acme Logistics): alternative_seeking, evaluate",
        "Stage change: dana_ops (Acme Logistics): buyer stage evaluate -> sample",
        "Stage change: dana_ops (Acme Logistics): lifecycle stage MIL -> MQL",
    ]
    received = [(r.headers["x-signals-event"], r.json()["data"]) for r in receiver.requests]
    assert sorted((name, data["event"]) for name, data in received) == [
        ("signal.detected", "Buying Signal Detected"),
        ("stage.changed", "Buyer Stage Changed"),
        ("stage.changed", "Lifecycle Stage Changed"),
    ]
    assert {(data["type"], data["userId"]) for _, data in received} == {("track", "contact-1")}
    track = next(data for name, data in received if name == "signal.detected")
    assert track["properties"]["url"] == "https://www.reddit.com/r/sysadmin/comments/1/"
    assert track["properties"]["intents"] == ["alternative_seeking"]
    assert len({data["messageId"] for _, data in received}) == 3
    assert all(receiver.verified("whsec", now=T0.timestamp()))
    assert _run(engine, http, settings, T0 + timedelta(minutes=5)).feed.stage_changes == 0


def test_configured_recipients_become_subscriptions_and_leave_with_the_file(engine: Engine) -> None:
    one = AlertRules(
        recipients=(Recipient("email", "a@example.com"), Recipient("slack", "https://h.test/x"))
    )
    with Session(engine) as session, session.begin():
        alerts.sync_subscriptions(session, one)
    two = AlertRules(recipients=(Recipient("email", "a@example.com", "digest", 15),))
    with Session(engine) as session, session.begin():
        alerts.sync_subscriptions(session, two)
    with Session(engine) as session:
        rows = session.execute(
            text("SELECT channel, target, mode, digest_minutes FROM alert_subscriptions")
        ).all()
    assert [tuple(r) for r in rows] == [("email", "a@example.com", "digest", 15)]


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[alerts]\nmin_confidence = 2\n", "alerts.min_confidence must be between 0 and 1"),
        ("[smtp]\nsecurity = 'tls'\n", "smtp.security must be one of starttls, ssl, none"),
        ("[alert]\n", "unknown section 'alert'; known: outbox, webhooks, smtp, alerts"),
        ("[outbox]\nretries = 3\n", "unknown setting outbox.retries; known: max_attempts"),
        (
            "[[alerts.recipients]]\nchannel = 'sms'\ntarget = 'x'\n",
            'alerts.recipients[0] needs channel = "slack" or "email"',
        ),
        (
            "[[alerts.recipients]]\nchannel = 'email'\ntarget = 'sales'\n",
            "'sales' is not an e-mail address",
        ),
    ],
)
def test_delivery_settings_mistakes_name_the_fix(tmp_path: Path, toml: str, message: str) -> None:
    from signals.delivery.settings import load_delivery_settings
    from signals.errors import ConfigError

    (tmp_path / "delivery.toml").write_text(toml)
    with pytest.raises(ConfigError, match="delivery.toml: ") as raised:
        load_delivery_settings(tmp_path)
    assert message in str(raised.value)


def test_the_smtp_password_comes_from_the_environment_and_is_never_shown(
    tmp_path,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    from signals.delivery.settings import load_delivery_settings

    monkeypatch.setenv("MAIL_PW", "hunter2-secret")
    (tmp_path / "delivery.toml").write_text("[smtp]\nusername = 'bot'\npassword_env = 'MAIL_PW'\n")
    settings = load_delivery_settings(tmp_path)
    assert settings.smtp.password == "hunter2-secret"
    assert "hunter2" not in repr(settings)


def test_each_user_chooses_immediate_or_digest(
    engine: Engine, smtp: SmtpReceiver, http: HttpClient
) -> None:
    settings = _settings(smtp)
    with ModelSession(engine) as users:
        rep = add_user(users, "rep", "marketer", "correct horse battery staple")
        manager = add_user(users, "cm", "community-manager", "correct horse battery staple")
        users.commit()
        rep_id, manager_id = rep.id, manager.id
    with Session(engine) as session, session.begin():
        alerts.subscribe(session, "email", "rep@example.com", "immediate", user_id=rep_id)
        alerts.subscribe(
            session, "email", "cm@example.com", "digest", user_id=manager_id, digest_minutes=30
        )
        for n in range(3):
            add_signal(session, n, T0, author=f"buyer{n}", account=None)
    _run(engine, http, settings, T0)
    assert sorted(smtp.subjects()) == [
        f"Buying signal: buyer{n}: alternative_seeking, evaluate" for n in range(3)
    ]
    _run(engine, http, settings, T0 + timedelta(minutes=31))
    assert smtp.subjects()[3:] == ["Buying signals digest: 3 signal(s), 0 stage change(s)"]
    assert [m["To"] for m in smtp.messages] == ["rep@example.com"] * 3 + ["cm@example.com"]
    with Session(engine) as session, pytest.raises(ConfigError, match="use immediate or digest"):
        alerts.subscribe(session, "email", "x@example.com", "weekly")


def test_the_bundled_delivery_toml_loads_and_documents_every_setting() -> None:
    from signals.delivery.settings import _RECIPIENT_KEYS, _SECTIONS, load_delivery_settings
    from tests.conftest import ROOT

    settings = load_delivery_settings(ROOT / "config")
    assert settings.alerts.recipients == ()  # examples stay commented out
    shipped = (ROOT / "config" / "delivery.toml").read_text()
    for section, keys in _SECTIONS.items():
        assert f"[{section}]" in shipped
        for key in keys:
            documented = f"[[{section}.{key}]]" if key == "recipients" else f"{key} ="
            assert documented in shipped, f"{section}.{key} is not documented"
    for key in _RECIPIENT_KEYS:
        assert f"# {key} =" in shipped
