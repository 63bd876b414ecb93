"""Dashboard, sources, contact pages and the people bridge."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import lxml.html
from sqlalchemy.engine import Engine
from sqlmodel import Session
from webtools import Seeded, WebClient, seed

from signals.config import SourceConfig
from signals.pipeline import sync_sources
from signals.store import models as db
from signals.store.models import table
from signals.store.models_people import StageChange

Login = Callable[[str], WebClient]


def test_dashboard_charts_and_precision_per_source(
    as_user: Login, seeded: Seeded, sqlite_engine: Engine
) -> None:
    mara = as_user("mara")
    csrf = mara.csrf
    # r/sysadmin: two confirmed, one refuted; hn: one refuted.
    for index, decision in ((0, "accept"), (2, "relabel"), (4, "reject"), (1, "spam")):
        data = {"decision": decision, "csrf_token": csrf, "intents": ["trial"]}
        mara.post(f"/review/{seeded.signal_ids[index]}/decision", data=data)
    tree = lxml.html.fromstring(mara.get("/dashboard").text)
    charts = tree.xpath("//svg[@class='chart']")
    assert len(charts) == 2
    bars = charts[0].xpath(".//rect/title/text()")
    today = _seeded_day(sqlite_engine).isoformat()
    assert f"{today} evaluate: 6" in bars
    intents = charts[1].xpath(".//rect/title/text()")
    assert f"{today} alternative_seeking: 4" in intents
    assert f"{today} comparison: 2" in intents
    rows = {
        tr.xpath("td[1]/text()")[0]: [td.text_content() for td in tr.xpath("td")[1:]]
        for tr in tree.xpath("//table[contains(@class,'precision')]/tbody/tr")
    }
    assert rows == {"hn": ["0", "1", "0%"], "r/sysadmin": ["2", "1", "67%"]}


def _seeded_day(engine: Engine) -> date:
    with Session(engine) as session:
        return session.get_one(db.Signal, 1).created_at.date()


def test_admin_pauses_and_resumes_a_source_and_a_sync_keeps_the_pause(
    as_user: Login, seeded: Seeded, sqlite_engine: Engine
) -> None:
    ada = as_user("ada")
    source_id = seeded.source_ids["hn"]
    response = ada.post(f"/sources/{source_id}/pause", data={"csrf_token": ada.csrf})
    assert response.status_code == 303
    row = lxml.html.fromstring(ada.get("/sources").text).xpath(f"//tr[@id='src-{source_id}']")[0]
    assert row.xpath("td[@class='state']/text()")[0] == "paused"
    sync_sources(sqlite_engine, [SourceConfig("hn", "rss", {"url": "https://x.test/hn"})])
    with Session(sqlite_engine) as session:
        assert session.get_one(db.Source, source_id).enabled is False
    ada.post(f"/sources/{source_id}/resume", data={"csrf_token": ada.csrf})
    with Session(sqlite_engine) as session:
        assert session.get_one(db.Source, source_id).enabled is True


def test_sources_page_shows_health_and_errors(
    as_user: Login, seeded: Seeded, sqlite_engine: Engine
) -> None:
    with Session(sqlite_engine) as session:
        source = session.get_one(db.Source, seeded.source_ids["r/sysadmin"])
        source.consecutive_failures = 3
        source.last_error = "HTTP 503 from https://x.test/r/sysadmin"
        source.last_fetch_at = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
        session.commit()
    tree = lxml.html.fromstring(as_user("mara").get("/sources").text)
    row = tree.xpath(f"//tr[@id='src-{seeded.source_ids['r/sysadmin']}']")[0]
    assert row.get("class") == "failing"
    assert "HTTP 503" in row.xpath("td[@class='last-error']/text()")[0]
    assert "2026-01-02 03:04 UTC" in row.text_content()
    assert not tree.xpath("//form[contains(@action,'/pause')]")  # only admins may pause


def test_contact_page_shows_the_timeline_from_our_tables(
    as_user: Login, seeded: Seeded, sqlite_engine: Engine
) -> None:
    with Session(sqlite_engine) as session:
        contact = db.Contact(display_name="user0")
        session.add(contact)
        session.flush()
        assert contact.id is not None
        identity = db.Identity(contact_id=contact.id, platform="reddit", handle="user0")
        session.add(identity)
        session.flush()
        session.add(
            db.Activity(
                contact_id=contact.id,
                identity_id=identity.id,
                post_id=seeded.post_ids[0],
                signal_id=seeded.signal_ids[0],
                kind="buying_signal",
                weight=5.0,
                occurred_at=datetime(2026, 3, 4, 5, 6, tzinfo=UTC),
            )
        )
        session.commit()
        contact_id = contact.id
    mara = as_user("mara")
    page = mara.get(f"/contacts/{contact_id}").text
    assert "2026-03-04 05:06 UTC" in page
    assert "Thread 0" in page
    detail = mara.get(f"/review/{seeded.signal_ids[0]}").text
    assert f'href="/contacts/{contact_id}"' in detail
    assert str(contact_id) in mara.get("/contacts").text


def test_erasing_needs_the_person_typed_twice(as_user: Login, seeded: Seeded) -> None:
    mara = as_user("mara")
    response = mara.post(
        "/people/forget",
        data={"person": "1", "confirm": "2", "csrf_token": mara.csrf},
    )
    assert response.status_code == 400
    assert "type the person again to confirm" in response.text


def test_dashboard_lists_accounts_that_moved_stage_this_week(
    as_user: Login, seeded: Seeded, sqlite_engine: Engine
) -> None:
    changes = table(StageChange)
    now = datetime.now(UTC)
    with Session(sqlite_engine) as session:
        account = db.Account(name="Acme Corp", domain="acme.example")
        session.add(account)
        session.commit()
        account_id = account.id
    with sqlite_engine.begin() as connection:
        common = {"contact_id": None, "account_id": account_id, "kind": "buyer", "created_at": now}
        connection.execute(
            changes.insert(),
            [
                {
                    **common,
                    "old": "recognize",
                    "new": "evaluate",
                    "reason": "3 people asked",
                    "occurred_at": now - timedelta(days=2),
                },
                {
                    **common,
                    "old": None,
                    "new": "recognize",
                    "reason": "old news",
                    "occurred_at": now - timedelta(days=20),
                },
            ],
        )
    tree = lxml.html.fromstring(as_user("mara").get("/dashboard").text)
    rows = [
        r.text_content() for r in tree.xpath("//a[@href=$h]/../..", h=f"/accounts/{account_id}")
    ]
    assert len(rows) == 1
    assert "Acme Corp" in rows[0]
    assert "evaluate" in rows[0]
    assert "3 people asked" in rows[0]


def test_dashboard_figures_on_sqlite_and_postgresql(engine: Engine) -> None:
    from signals.store.models_web import ReviewDecision
    from signals.web import dashboard

    seeded = seed(engine, signals=6)
    with Session(engine) as session:
        for index, decision in ((0, "accept"), (1, "reject"), (2, "reject"), (2, "accept")):
            post_id, signal_id = seeded.post_ids[index], seeded.signal_ids[index]
            session.add(
                ReviewDecision(
                    signal_id=signal_id, post_id=post_id, decision=decision, is_signal=True
                )
            )
            session.flush()
        session.commit()
        days, by_stage, by_intent = dashboard.daily_counts(session)
        precision = dashboard.precision_by_source(session)
    assert days[-1] == datetime.now(UTC).date()
    today = _seeded_day(engine)
    assert len(days) == 30
    assert by_stage["evaluate"][today] == 6
    assert (by_intent["alternative_seeking"][today], by_intent["comparison"][today]) == (4, 2)
    # Post 2 was rejected, then accepted: the latest decision counts.
    assert [(p.source, p.confirmed, p.refuted) for p in precision] == [
        ("hn", 0, 1),
        ("r/sysadmin", 2, 0),
    ]


def test_precision_counts_only_the_latest_decision_per_post(as_user: Login, seeded: Seeded) -> None:
    mara = as_user("mara")
    for decision in ("accept", "reject", "accept", "reject"):
        data = {"decision": decision, "csrf_token": mara.csrf}
        mara.post(f"/review/{seeded.signal_ids[0]}/decision", data=data)
    tree = lxml.html.fromstring(mara.get("/dashboard").text)
    rows = [
        [td.text_content() for td in tr.xpath("td")]
        for tr in tree.xpath("//table[contains(@class,'precision')]/tbody/tr")
    ]
    assert len(rows) == 1
    assert rows[0][1:] == ["0", "1", "0%"]
