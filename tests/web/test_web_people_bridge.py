"""The people bridge against the API as specified (briefs/people_api.md), until it is merged.

The real signals.people lands with the contacts work; here a small module written to the same
specification stands in for it, so the pages that show its records are exercised now. When the
real package is installed these tests are skipped and the browser tests cover the real one.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import lxml.html
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from webtools import Seeded, WebClient

from signals.store import models as db
from signals.web import people_bridge

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("signals.people") is not None,
    reason="the real signals.people is installed",
)
Login = Callable[[str], WebClient]


class _Record:
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload,no-any-return]


@dataclass(frozen=True)
class ContactCard(_Record):
    id: int
    display_name: str
    email: str | None
    title: str | None
    account_id: int | None
    account_name: str | None
    fit_grade: str
    band: int
    cell: str
    score: float
    lifecycle_stage: str
    buyer_stage: str | None
    identities: list[Any] = field(default_factory=list)
    inferred: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class MergeProposal(_Record):
    id: int
    contact_id: int
    other_contact_id: int
    reasons: list[str]
    confidence: float
    status: str
    created_at: datetime


@dataclass(frozen=True)
class StageChange(_Record):
    kind: str
    old: str | None
    new: str
    at: datetime
    reason: str


@pytest.fixture
def people(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    calls: dict[str, list[Any]] = {"approve": [], "reject": [], "forget": []}
    proposals = {7: MergeProposal(7, 1, 2, ["same e-mail"], 0.9, "open", datetime.now(UTC))}
    api = types.ModuleType("signals.people.api")

    def contact_card(session: Session, contact_id: int) -> ContactCard | None:
        contact = session.get(db.Contact, contact_id)
        if contact is None:
            return None
        return ContactCard(
            contact_id,
            contact.display_name,
            None,
            "CTO",
            None,
            None,
            "B",
            2,
            "B2",
            41.5,
            "MQL",
            "evaluate",
        )

    def merge_proposals(session: Session, status: str = "open") -> list[MergeProposal]:
        return [p for p in proposals.values() if p.status == status]

    def approve_merge(session: Session, proposal_id: int, actor: str) -> None:
        calls["approve"].append((proposal_id, actor))
        old = proposals[proposal_id]
        proposals[proposal_id] = MergeProposal(**{**asdict(old), "status": "approved"})

    def stage_history(session: Session, contact_id: int) -> list[StageChange]:
        return [
            StageChange(
                "buyer", "recognize", "evaluate", datetime.now(UTC), "asked for alternatives"
            )
        ]

    api.contact_card = contact_card  # type: ignore[attr-defined]
    api.account_card = lambda session, account_id: None  # type: ignore[attr-defined]
    api.explain_contact = lambda session, contact_id, as_of=None: None  # type: ignore[attr-defined]
    api.stage_history = stage_history  # type: ignore[attr-defined]
    api.merge_proposals = merge_proposals  # type: ignore[attr-defined]
    api.approve_merge = approve_merge  # type: ignore[attr-defined]
    api.reject_merge = lambda s, pid, actor: calls["reject"].append((pid, actor))  # type: ignore[attr-defined]
    api.forget_person = lambda s, person: calls["forget"].append(person) or {"posts": 1}  # type: ignore[attr-defined]
    package = types.ModuleType("signals.people")
    package.api = api  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "signals.people", package)
    monkeypatch.setitem(sys.modules, "signals.people.api", api)
    return calls


def _contact(engine: Engine, name: str) -> int:
    with Session(engine) as session:
        contact = db.Contact(display_name=name)
        session.add(contact)
        session.commit()
        assert contact.id is not None
        return contact.id


def test_contact_page_shows_the_card_and_stage_history(
    people: dict[str, list[Any]], as_user: Login, seeded: Seeded, sqlite_engine: Engine
) -> None:
    contact_id = _contact(sqlite_engine, "Ann Buyer")
    assert people_bridge.available()
    tree = lxml.html.fromstring(as_user("mara").get(f"/contacts/{contact_id}").text)
    assert tree.xpath("//dd[@class='cell']/text()") == ["B2"]
    assert "asked for alternatives" in tree.xpath("string(//ol[@class='history'])")
    assert people_bridge.UNAVAILABLE not in tree.text_content()


def test_merges_are_approved_and_people_erased_through_the_bridge(
    people: dict[str, list[Any]], as_user: Login, seeded: Seeded
) -> None:
    mara = as_user("mara")
    tree = lxml.html.fromstring(mara.get("/merges").text)
    assert tree.xpath("//article[@id='m-7']//li/text()") == ["same e-mail"]
    response = mara.post("/merges/7/approve", data={"csrf_token": mara.csrf})
    assert response.status_code == 303
    assert people["approve"] == [(7, "mara")]
    assert "m-7" not in mara.get("/merges").text
    done = mara.post(
        "/people/forget",
        data={"person": "reddit:ann", "confirm": "reddit:ann", "csrf_token": mara.csrf},
    )
    assert done.status_code == 200
    assert people["forget"] == ["reddit:ann"]
    assert "posts: 1" in done.text
