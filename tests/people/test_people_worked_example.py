"""The worked example: a contacts CSV plus recorded real posts, on a fixed clock.

The bundled demo feeds (real Reddit and Hacker News posts, served on 127.0.0.1) go through the
whole pipeline at 2013-08-13 12:00 UTC; then tests/fixtures/people/contacts.csv is imported.
Expected: the contacts, one merge on the CRM's word and one unsafe merge refused, the accounts,
matrix cells, lifecycle and buyer stages, and the transition events.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlmodel import col

from signals.config import Settings
from signals.people import api, clock
from signals.store import models as db
from signals.store.models_people import MergeLedger, PeopleEvent, StageChange, Task
from tests.conftest import FIXTURES
from tests.people.conftest import NOW, Invoke, run_pipeline

CSV = FIXTURES / "people" / "contacts.csv"


def _contact_of(session: Session, platform: str, handle: str) -> int:
    statement = select(db.Identity).where(
        col(db.Identity.platform) == platform, col(db.Identity.handle) == handle
    )
    identity = session.scalars(statement).one()
    return identity.contact_id


def _import(cli: Invoke) -> dict[str, object]:
    result = cli("contacts", "import", str(CSV), "--json")
    assert result.exit_code == 0, result.output
    report: dict[str, object] = json.loads(result.stdout)
    return report


def test_worked_example(engine: Engine, settings: Settings, cli: Invoke) -> None:
    run = run_pipeline(engine, settings)
    assert run.failed == []
    with clock.fixed(NOW), Session(engine) as session:
        nora = _contact_of(session, "reddit", "northnodes")
        xavier = _contact_of(session, "reddit", "xtac")
        before = api.contact_card(session, nora)
        assert before is not None
        # A pseudonymous Reddit author: anonymous (MAL), no fit known, active yesterday.
        assert (before.lifecycle_stage, before.buyer_stage, before.cell) == (
            "MAL",
            "evaluate",
            "D2",
        )

    report = _import(cli)
    assert (report["created"], report["matched"], report["rejected"]) == (1, 5, 1)
    assert (report["merged"], report["proposed"]) == (1, 1)
    rows = {row["line"]: row for row in report["rows"]}  # type: ignore[attr-defined]
    assert rows[7]["status"] == "rejected"
    assert "not an address" in rows[7]["reasons"][0]
    assert any("proposed for review" in r for r in rows[6]["reasons"])

    with clock.fixed(NOW), Session(engine) as session:
        # Contacts: the CRM names the Reddit authors; their posts stay theirs.
        card = api.contact_card(session, nora)
        assert card is not None
        assert (card.display_name, card.email, card.title) == (
            "Nora Wilde",
            "nora@northwind.example",
            "Founder",
        )
        # The CRM row names the handle: the identity is now verified.
        assert [(i.platform, i.handle, i.verified) for i in card.identities] == [
            ("reddit", "northnodes", True)
        ]
        # Fit: founder (executive) + 35 people + ecommerce = 50 -> A; 21 points -> band 2.
        assert (card.fit_grade, card.band, card.cell) == ("A", 2, "A2")
        assert (card.lifecycle_stage, card.buyer_stage) == ("MQL", "evaluate")
        x = api.contact_card(session, xavier)
        assert x is not None
        assert (x.cell, x.lifecycle_stage, x.account_id) == ("A3", "MIL", card.account_id)

        # Accounts: from the import's domain, and from Xavier's e-mail domain; no free mail.
        assert card.account_id is not None
        account = api.account_card(session, card.account_id)
        assert account is not None
        assert (account.name, account.domain, account.buyer_stage) == (
            "Northwind Supply",
            "northwind.example",
            "evaluate",
        )
        assert sorted((c.name, c.role) for c in account.contacts) == [
            ("Nora Wilde", "executive"),
            ("Xavier Tack", "influencer"),
        ]
        # Role-weighted: 1.5 x Nora's points + 1.0 x Xavier's.
        # Scores are rounded to 4 places each, so the sum may differ in the last place.
        assert account.score == pytest.approx(1.5 * card.score + 1.0 * x.score, abs=2e-4)
        domains = set(session.scalars(select(col(db.Account.domain))))
        assert domains == {"northwind.example", "fabrikam.example", "contoso.example"}

        # The merge on the CRM's word: Wendy's Reddit handle joins her Hacker News contact.
        wendy = _contact_of(session, "hackernews", "marktangotango")
        assert _contact_of(session, "reddit", "woo_hoo") == wendy
        ledger = session.scalars(select(MergeLedger)).one()
        assert ledger.kept_contact_id == wendy
        assert ledger.reasons == ["CRM import line 4 lists reddit:woo_hoo"]
        wendy_card = api.contact_card(session, wendy)
        assert wendy_card is not None
        assert wendy_card.account_id is None  # gmail.com says nothing about an employer

        # The unsafe merge refused: one person, two Reddit handles -> a proposal, no merge.
        sam = _contact_of(session, "reddit", "spacitron")
        assert _contact_of(session, "reddit", "lawpoop") != sam
        proposals = api.merge_proposals(session)
        assert len(proposals) == 1
        assert {proposals[0].contact_id, proposals[0].other_contact_id} == {
            sam,
            _contact_of(session, "reddit", "lawpoop"),
        }
        assert "never merged automatically" in proposals[0].reasons[-1]

        # Transition events, on the fixed clock: buyer stage at ingest, MQL at import.
        history = api.stage_history(session, nora)
        assert [(h.kind, h.old, h.new, h.at) for h in history] == [
            ("buyer", None, "evaluate", NOW),
            ("lifecycle", "MAL", "MQL", NOW),
        ]
        stored = session.scalars(select(StageChange).where(col(StageChange.contact_id) == nora))
        assert [(c.kind, c.new) for c in stored] == [("buyer", "evaluate"), ("lifecycle", "MQL")]
        events = [
            e.payload
            for e in session.scalars(select(PeopleEvent).where(col(PeopleEvent.contact_id) == nora))
        ]
        stage_events = [e for e in events if e.get("event") == "Lifecycle Stage Changed"]
        assert len(stage_events) == 1
        assert stage_events[0]["properties"]["to"] == "MQL"
        assert stage_events[0]["properties"]["from"] == "MAL"
        assert stage_events[0]["timestamp"] == "2013-08-13T12:00:00Z"

        # The nurture play for yesterday's evaluation post: a reply task due in 4 hours.
        task = session.scalars(select(Task).where(col(Task.contact_id) == nora)).one()
        assert task.play == "evaluating: reply with a customer story"
        assert task.due_at == datetime(2013, 8, 13, 16, tzinfo=UTC)


def test_unmerge_puts_back_what_the_import_merged(
    engine: Engine, settings: Settings, cli: Invoke
) -> None:
    run_pipeline(engine, settings)
    _import(cli)
    with Session(engine) as session:
        wendy = _contact_of(session, "hackernews", "marktangotango")
        activities_before = sorted(
            session.scalars(select(col(db.Activity.id)).where(col(db.Activity.contact_id) == wendy))
        )
    result = cli("contacts", "unmerge", str(wendy))
    assert result.exit_code == 0, result.output
    with Session(engine) as session:
        woo = _contact_of(session, "reddit", "woo_hoo")
        assert woo != wendy
        moved = sorted(
            session.scalars(select(col(db.Activity.id)).where(col(db.Activity.contact_id) == woo))
        )
        assert moved and set(moved) < set(activities_before)
        assert session.scalars(select(MergeLedger)).one().undone_at is not None
    # Undone means "different people": the same evidence no longer merges them.
    again = _import(cli)
    assert again["merged"] == 0
    with Session(engine) as session:
        assert _contact_of(session, "reddit", "woo_hoo") != _contact_of(
            session, "hackernews", "marktangotango"
        )


def test_decay_lowers_the_band_as_of_later_dates(
    engine: Engine, settings: Settings, cli: Invoke
) -> None:
    run_pipeline(engine, settings)
    _import(cli)
    with Session(engine) as session:
        nora = _contact_of(session, "reddit", "northnodes")
    bands = []
    for day in ("2013-08-13T12:00:00Z", "2013-09-30", "2013-12-31"):
        result = cli("explain", str(nora), "--json", "--as-of", day)
        assert result.exit_code == 0, result.output
        totals = json.loads(result.stdout)["totals"]
        bands.append((totals["band"], totals["cell"]))
    assert bands == [(2, "A2"), (3, "A3"), (4, "A4")]


def test_lifecycle_downgrades_only_as_decay_removes_points(
    engine: Engine, settings: Settings, cli: Invoke
) -> None:
    run_pipeline(engine, settings)
    _import(cli)
    with Session(engine) as session:
        nora = _contact_of(session, "reddit", "northnodes")
    # The same day: rescoring changes nothing.
    assert cli("contacts", "rescore").exit_code == 0
    later = datetime(2013, 10, 15, tzinfo=UTC)
    result = cli("contacts", "rescore", at=later)
    assert result.exit_code == 0, result.output
    with Session(engine) as session:
        history = api.stage_history(session, nora)
        assert [(h.old, h.new) for h in history if h.kind == "lifecycle"] == [
            ("MAL", "MQL"),
            ("MQL", "MIL"),
        ]
        assert history[-1].at == later
        assert "decayed" in history[-1].reason
