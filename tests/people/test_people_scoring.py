"""Scoring on a real store: decay, daily caps, sub-scores, fit, incremental = from scratch."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from signals.people import account_scores, scoring
from signals.people import config as people_config
from signals.store import models as db
from signals.store.models_people import ContactScore, InferredAttribute

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
_ids = itertools.count(1)


def _source(session: Session) -> int:
    source = db.Source(name=f"s{next(_ids)}", kind="rss", settings={})
    session.add(source)
    session.flush()
    assert source.id is not None
    return source.id


def _contact(session: Session, **fields: object) -> int:
    contact = db.Contact(display_name=f"c{next(_ids)}", **fields)
    session.add(contact)
    session.flush()
    assert contact.id is not None
    return contact.id


def _activity(
    session: Session,
    contact_id: int,
    kind: str,
    weight: float,
    at: datetime,
    products: Sequence[str] = (),
) -> int:
    source_id = _source(session)
    post = db.Post(source_id=source_id, external_id=str(next(_ids)), text="x", published_at=at)
    session.add(post)
    session.flush()
    assert post.id is not None
    signal = db.Signal(
        post_id=post.id, is_signal=True, confidence=1.0, products=list(products), model_version="t"
    )
    session.add(signal)
    session.flush()
    activity = db.Activity(
        contact_id=contact_id, post_id=post.id, signal_id=signal.id, kind=kind,
        weight=weight, occurred_at=at,
    )  # fmt: skip
    session.add(activity)
    session.flush()
    assert activity.id is not None
    return activity.id


def test_points_halve_every_half_life(engine: Engine) -> None:
    config = people_config.active()
    half_life = config.activity["comparison"].half_life_days
    with Session(engine) as session:
        contact = _contact(session)
        _activity(session, contact, "comparison", 20.0, T0)
        now = scoring.compute(session, contact, T0)[0].points
        later = scoring.compute(session, contact, T0 + timedelta(days=half_life))[0].points
        before = scoring.compute(session, contact, T0 - timedelta(seconds=1))[0].points
    assert now == pytest.approx(20.0)
    assert later == pytest.approx(10.0)
    assert before == 0.0  # as of a moment before it happened, it did not count


def test_daily_cap_limits_one_kind_on_one_day(engine: Engine) -> None:
    cap = people_config.active().activity["purchase_ready"].daily_cap
    with Session(engine) as session:
        contact = _contact(session)
        for hour in range(5):
            _activity(session, contact, "purchase_ready", 40.0, T0 + timedelta(hours=hour))
        _activity(session, contact, "purchase_ready", 40.0, T0 + timedelta(days=1))
        _activity(session, contact, "comparison", 20.0, T0 + timedelta(hours=1))
        row, scored, _fit = scoring.compute(session, contact, T0 + timedelta(days=1))
    first_day = [s for s in scored if s.activity.occurred_at.date() == T0.date()]
    raw_first_day = sum(
        s.activity.weight * s.cap_factor for s in first_day if s.activity.kind == "purchase_ready"
    )
    assert raw_first_day == pytest.approx(cap)
    assert max(s.cap_factor for s in scored if s.activity.kind == "comparison") == 1.0
    assert row.by_kind["purchase_ready"] < cap + 40.0


def test_incremental_updates_equal_a_rescore_from_the_log(engine: Engine) -> None:
    plan = [
        ("comparison", 18.0, T0, ["Zendesk"]),
        ("purchase_ready", 36.0, T0 + timedelta(hours=2), ["Jira"]),
        ("purchase_ready", 40.0, T0 + timedelta(hours=3), []),  # over the day's cap
        ("post", 4.0, T0 + timedelta(days=3), ["Zendesk", "Jira"]),
        ("comparison", 12.0, T0 + timedelta(days=9), []),
        ("purchase_ready", 30.0, T0 + timedelta(days=9, hours=1), ["Salesforce"]),
    ]
    with Session(engine) as session:
        contact = _contact(session)
        now = T0
        for kind, weight, at, products in plan:
            activity_id = _activity(session, contact, kind, weight, at, products)
            now = at + timedelta(minutes=5)
            scoring.apply_activity(session, activity_id, now)
        incremental = session.get_one(ContactScore, contact)
        fresh = scoring.compute(session, contact, now)[0]
    assert incremental.points == pytest.approx(fresh.points, rel=1e-9)
    assert incremental.by_kind == pytest.approx(fresh.by_kind, rel=1e-9)
    for category, kinds in fresh.by_category.items():
        assert incremental.by_category[category] == pytest.approx(kinds, rel=1e-9)
    assert set(fresh.by_category) == {"helpdesk", "project_management", "crm"}
    assert (incremental.band, incremental.cell) == (fresh.band, fresh.cell)


def test_account_score_is_not_diluted_by_quiet_contacts(engine: Engine) -> None:
    config = people_config.active()
    with Session(engine) as session:
        account = db.Account(name="Acme", domain="acme.example")
        session.add(account)
        session.flush()
        champion = _contact(session, account_id=account.id, committee_role="champion")
        _activity(session, champion, "comparison", 20.0, T0)
        scoring.refresh_contacts(session, [champion], T0)
        assert account.id is not None
        alone, active = account_scores.account_points(session, account.id, T0, config)
        for _ in range(5):
            scoring.refresh_contacts(session, [_contact(session, account_id=account.id)], T0)
        crowded, still_active = account_scores.account_points(session, account.id, T0, config)
        executive = _contact(session, account_id=account.id, committee_role="executive")
        _activity(session, executive, "comparison", 20.0, T0)
        scoring.refresh_contacts(session, [executive], T0)
        both, two = account_scores.account_points(session, account.id, T0, config)
    assert (active, still_active, two) == (1, 1, 2)
    assert crowded == alone == pytest.approx(20.0 * config.role_weights["champion"])
    assert both == pytest.approx(alone + 20.0 * config.role_weights["executive"])


def test_fit_uses_inferred_hints_only_when_nothing_better_is_known(engine: Engine) -> None:
    with Session(engine) as session:
        contact_id = _contact(session)
        for attribute, value in (("company_size", "40"), ("industry", "fintech")):
            session.add(
                InferredAttribute(
                    contact_id=contact_id, attribute=attribute, value=value,
                    evidence=f"we're a 40-person {value}", confidence=0.8,
                )
            )  # fmt: skip
        session.flush()
        contact = session.get_one(db.Contact, contact_id)
        inferred = scoring.fit_for(session, contact, people_config.active())
        account = db.Account(name="Big", domain="big.example", employees=50_000)
        session.add(account)
        session.flush()
        contact.account_id = account.id
        explicit = scoring.fit_for(session, contact, people_config.active())
    assert [(m.field, m.value, m.inferred) for m in inferred.matches] == [
        ("company_size", "40", True),
        ("industry", "fintech", True),
    ]
    assert (inferred.points, inferred.grade) == (30.0, "B")
    # The account's own size (50,000: not mid-market) beats the post's "40-person".
    assert [m.field for m in explicit.matches] == ["industry"]


def test_rescore_all_stores_what_compute_says(engine: Engine) -> None:
    with Session(engine) as session:
        contacts = [_contact(session) for _ in range(3)]
        for n, contact in enumerate(contacts):
            for day in range(n + 1):
                _activity(session, contact, "comparison", 10.0 + n, T0 + timedelta(days=day))
        later = T0 + timedelta(days=5)
        scoring.refresh_contacts(session, contacts[:1], T0)  # a stale cached score to replace
        assert scoring.rescore_all(session, later) == 3
        for contact in contacts:
            stored = session.get_one(ContactScore, contact)
            fresh = scoring.compute(session, contact, later)[0]
            assert (stored.points, stored.cell, stored.as_of) == (
                pytest.approx(fresh.points),
                fresh.cell,
                later,
            )
