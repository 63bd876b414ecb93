"""End to end in real headless Chromium against the app served by uvicorn on 127.0.0.1.

Screenshots of each main page are written to test-artifacts/screenshots/.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from webtools import PASSWORD, LiveServer, Seeded

from signals.store import models as db
from signals.store.models_web import ResponseTask, ReviewDecision

playwright_api = pytest.importorskip("playwright.sync_api")

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[object]:
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: object, server: LiveServer) -> Iterator[object]:
    context = browser.new_context(base_url=server.url, viewport={"width": 1200, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    # A CSP violation or a script error shows up here: the test fails on any.
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    context.close()
    assert errors == []


def _shot(page: object, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def _login(page: object, name: str, shot: bool = False) -> None:
    page.goto("/login")  # type: ignore[attr-defined]
    page.fill("input[name=name]", name)  # type: ignore[attr-defined]
    page.fill("input[name=password]", PASSWORD)  # type: ignore[attr-defined]
    if shot:
        _shot(page, "login")
    page.click("form.login button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_selector("nav.top .who")  # type: ignore[attr-defined]


def _decisions(engine: Engine) -> dict[int | None, ReviewDecision]:
    with Session(engine) as session:
        rows = session.exec(select(ReviewDecision).order_by(col(ReviewDecision.id))).all()
        return {r.signal_id: r for r in rows}


def test_marketer_logs_in_triages_five_with_the_keyboard_and_relabels_one(
    page: object, seeded: Seeded, sqlite_engine: Engine
) -> None:
    p = page
    _login(p, "mara", shot=True)
    assert p.url.endswith("/review")  # type: ignore[attr-defined]
    newest_first = sorted(seeded.signal_ids, reverse=True)
    assert p.get_attribute("article.signal.selected", "data-signal-id") == str(newest_first[0])  # type: ignore[attr-defined]
    _shot(p, "review")
    # j/k move the selection without deciding anything.
    p.keyboard.press("j")  # type: ignore[attr-defined]
    assert p.get_attribute("article.signal.selected", "data-signal-id") == str(newest_first[1])  # type: ignore[attr-defined]
    p.keyboard.press("k")  # type: ignore[attr-defined]
    keys = ["a", "r", "a", "a", "r"]
    for signal_id, key in zip(newest_first, keys, strict=False):
        decision = {"a": "accept", "r": "reject"}[key]
        assert p.get_attribute("article.signal.selected", "data-signal-id") == str(signal_id)  # type: ignore[attr-defined]
        p.keyboard.press(key)  # type: ignore[attr-defined]
        p.wait_for_selector(f"#s-{signal_id}[data-review={decision}]")  # type: ignore[attr-defined]
    stored = _decisions(sqlite_engine)
    assert {sid: stored[sid].decision for sid in newest_first[:5]} == {
        sid: {"a": "accept", "r": "reject"}[k] for sid, k in zip(newest_first, keys, strict=False)
    }
    assert all(r.reviewer_id == seeded.user_ids["mara"] for r in stored.values())
    _shot(p, "review_triaged")

    # Relabel the one left, from its detail page.
    last = newest_first[5]
    p.goto(f"/review/{last}")  # type: ignore[attr-defined]
    p.click("details.relabel summary")  # type: ignore[attr-defined]
    p.select_option("form.relabel-form select[name=stage]", "test")  # type: ignore[attr-defined]
    p.check("form.relabel-form input[value=trial]")  # type: ignore[attr-defined]
    p.uncheck("form.relabel-form input[value=comparison]")  # type: ignore[attr-defined]
    _shot(p, "review_detail")
    p.click("form.relabel-form button[type=submit]")  # type: ignore[attr-defined]
    p.wait_for_selector("span.review-state:text('relabel')")  # type: ignore[attr-defined]
    relabelled = _decisions(sqlite_engine)[last]
    assert (relabelled.decision, relabelled.stage, relabelled.intents) == (
        "relabel",
        "test",
        ["trial"],
    )


def test_community_manager_claims_a_thread_and_marks_it_responded(
    page: object, seeded: Seeded, sqlite_engine: Engine
) -> None:
    p = page
    _login(p, "cora")
    assert p.url.endswith("/inbox")  # type: ignore[attr-defined]
    _shot(p, "inbox")
    post_id = seeded.post_ids[3]
    article = f"article#t-{post_id}"
    p.click(f"{article} button.claim")  # type: ignore[attr-defined]
    p.wait_for_selector(f"{article} .status:text('claimed')")  # type: ignore[attr-defined]
    assert p.inner_text(f"{article} .assignee") == "cora"  # type: ignore[attr-defined]
    reply = "https://news.ycombinator.com/item?id=424242"
    p.fill(f"{article} input[name=reply_url]", reply)  # type: ignore[attr-defined]
    p.click(f"{article} button.respond")  # type: ignore[attr-defined]
    p.wait_for_selector(f"{article}", state="detached")  # responded threads leave the open view  # type: ignore[attr-defined]
    with Session(sqlite_engine) as session:
        task = session.exec(select(ResponseTask).where(ResponseTask.post_id == post_id)).one()
    assert (task.status, task.reply_url, task.assignee_id) == (
        "responded",
        reply,
        seeded.user_ids["cora"],
    )
    p.goto("/inbox?view=responded")  # type: ignore[attr-defined]
    assert reply in p.inner_text(f"{article} .reply-link")  # type: ignore[attr-defined]
    _shot(p, "inbox_responded")


def test_admin_sees_dashboard_sources_contacts(
    page: object, seeded: Seeded, sqlite_engine: Engine
) -> None:
    p = page
    with Session(sqlite_engine) as session:
        contact = db.Contact(display_name="user0")
        session.add(contact)
        session.flush()
        assert contact.id is not None
        session.add(
            db.Activity(
                contact_id=contact.id,
                post_id=seeded.post_ids[0],
                signal_id=seeded.signal_ids[0],
                kind="buying_signal",
                weight=3.0,
                occurred_at=datetime.now(UTC),
            )
        )
        session.commit()
        contact_id = contact.id
    _login(p, "ada")
    assert p.url.endswith("/dashboard")  # type: ignore[attr-defined]
    assert p.locator("svg.chart rect").count() > 2  # type: ignore[attr-defined]
    _shot(p, "dashboard")
    p.goto("/sources")  # type: ignore[attr-defined]
    source_id = seeded.source_ids["hn"]
    p.click(f"tr#src-{source_id} button")  # type: ignore[attr-defined]
    p.wait_for_selector(f"tr#src-{source_id} td.state:text('paused')")  # type: ignore[attr-defined]
    _shot(p, "sources")
    p.goto("/contacts")  # type: ignore[attr-defined]
    _shot(p, "contacts")
    p.click(f"a[href='/contacts/{contact_id}']")  # type: ignore[attr-defined]
    p.wait_for_selector("ol.timeline li")  # type: ignore[attr-defined]
    _shot(p, "contact")
    p.goto("/merges")  # type: ignore[attr-defined]
    _shot(p, "merges")


def _seed_people(engine: Engine, seeded: Seeded) -> tuple[int, int]:
    """One handle on two platforms: as ingestion does, the people area proposes a merge."""
    from signals.people import identities

    with Session(engine) as session:
        ids, found = [], []
        for platform, handle in (("reddit", "user0"), ("hackernews", "user0")):
            contact = db.Contact(display_name=handle)
            session.add(contact)
            session.flush()
            assert contact.id is not None
            identity = db.Identity(contact_id=contact.id, platform=platform, handle=handle)
            session.add(identity)
            session.flush()
            ids.append(contact.id)
            found.append(identity)
        assert identities.propose_same_handles(session, found[1:]) == 1
        session.commit()
    return ids[0], ids[1]


def test_marketer_approves_a_merge_proposal(
    page: object, seeded: Seeded, sqlite_engine: Engine
) -> None:
    from signals.people import api

    first, second = _seed_people(sqlite_engine, seeded)
    with Session(sqlite_engine) as session:
        proposals = api.merge_proposals(session)
    proposal = next(p for p in proposals if {p.contact_id, p.other_contact_id} == {first, second})
    p = page
    _login(p, "mara")
    p.goto("/merges")  # type: ignore[attr-defined]
    p.click(f"#m-{proposal.id} button.approve")  # type: ignore[attr-defined]
    p.wait_for_selector(f"#m-{proposal.id}", state="detached")  # type: ignore[attr-defined]
    with Session(sqlite_engine) as session:
        assert all(p.id != proposal.id for p in api.merge_proposals(session))
        assert any(p.id == proposal.id for p in api.merge_proposals(session, status="approved"))


def test_marketer_erases_a_person(page: object, seeded: Seeded, sqlite_engine: Engine) -> None:
    first, _ = _seed_people(sqlite_engine, seeded)
    p = page
    _login(p, "mara")
    p.goto(f"/contacts/{first}")  # type: ignore[attr-defined]
    p.fill("form.forget input[name=confirm]", str(first))  # type: ignore[attr-defined]
    p.click("form.forget button.danger")  # type: ignore[attr-defined]
    p.wait_for_selector("p.done")  # type: ignore[attr-defined]
    with Session(sqlite_engine) as session:
        left = session.exec(select(db.Identity).where(db.Identity.contact_id == first)).all()
    assert left == []
