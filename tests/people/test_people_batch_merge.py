"""A classify batch merged at once equals its signals merged one at a time, on a real store.

The merge step folds a batch in post order; these tests put the same signals into two fresh
stores, once as one batch and once one signal per call, and compare everything the merge
writes: scores, stage changes (every transition, in order), people events, tasks, hints and
account scores.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlmodel import col

from classifiers import Classification
from classifiers.base import Evidence
from classifiers.org_hints import OrgHintExtractor
from signals.identity import Author
from signals.people import clock
from signals.people import config as people_config
from signals.people.ingest import merge_signals
from signals.store import models as db
from signals.store.models_people import (
    AccountActivity,
    AccountScore,
    ContactScore,
    InferredAttribute,
    PeopleEvent,
    StageChange,
    Task,
)
from tests.conftest import ROOT

NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)

# (author, hours before NOW, intent, stage, confidence, text). ana and ben work at Acme; cai
# has a score from last week (the incremental path), ana and ben none yet (from the log); zoe
# and dan are first-time authors, zoe posting first (new contacts get ids in post order). The
# post with no author names Acme's domain: an activity of the account, between ana's posts.
SIGNALS = [
    ("ana", 30.0, "comparison", "evaluate", 0.9, "Comparing Linear and Jira for our team."),
    (None, 29.5, "trial", "sample", 0.8, "Our acme.example team is trialling Linear."),
    ("ana", 29.0, "purchase_ready", "test", 0.95, "Ready to buy Linear seats, who has a quote?"),
    ("cai", 26.0, "comparison", "recognize", 0.7, "Anyone compared Zendesk and Freshdesk?"),
    ("zoe", 25.0, "recommendation_request", "evaluate", 0.8, "What helpdesk do small teams use?"),
    ("dan", 24.0, "pricing_inquiry", "evaluate", 0.75, "How much is Freshdesk per agent?"),
    ("ana", 28.5, "purchase_ready", "test", 0.9, "Trial went well, buying this week."),
    ("ben", 20.0, "alternative_seeking", "evaluate", 0.8,
     "We're a 40-person fintech currently on Jira, looking for alternatives to Jira."),
    ("cai", 6.0, "trial", "sample", 0.85, "We started a Freshdesk trial today."),
    ("ben", 2.0, "purchase_ready", "integrate", 0.9, "Rolling Linear out to the whole company."),
    ("ana", 1.0, "comparison", "deploy", 0.8, "Linear is live for everyone now."),
]  # fmt: skip


AUTHORED = sum(1 for handle, *_ in SIGNALS if handle)


def _seed(engine: Engine) -> list[tuple[int, Classification, Author | None, int]]:
    """Source, Acme and three known people; the posts and signals of SIGNALS, not merged."""
    with Session(engine) as session, session.begin():
        source = db.Source(name="forum", kind="rss", settings={})
        acme = db.Account(name="Acme", domain="acme.example", employees=200)
        session.add_all([source, acme])
        session.flush()
        people = {
            "ana": db.Contact(
                display_name="ana", account_id=acme.id, committee_role="executive", owner="olga"
            ),
            "ben": db.Contact(display_name="ben", account_id=acme.id),
            "cai": db.Contact(display_name="cai", title="support lead"),
        }
        session.add_all(people.values())
        session.flush()
        for handle, contact in people.items():
            assert contact.id is not None
            session.add(db.Identity(contact_id=contact.id, platform="reddit", handle=handle))
        assert source.id is not None
        old = _post(session, source.id, "old", "cai", NOW - timedelta(days=6), "Zendesk pricing?")
        signal = db.Signal(post_id=old, is_signal=True, confidence=1.0, model_version="t")
        session.add(signal)
        session.flush()
        session.add(
            db.Activity(
                contact_id=people["cai"].id or 0, post_id=old, signal_id=signal.id,
                kind="pricing_inquiry", stage="evaluate", weight=30.0,
                occurred_at=NOW - timedelta(days=6),
            )
        )  # fmt: skip
        session.flush()
        with clock.fixed(NOW - timedelta(days=5)):
            from signals.people import scoring

            scoring.refresh_contacts(session, [people["cai"].id or 0])
        seeded = []
        for n, (handle, hours, intent, stage, confidence, text) in enumerate(SIGNALS):
            at = NOW - timedelta(hours=hours)
            post_id = _post(session, source.id, f"p{n}", handle, at, text)
            quote = Evidence(0, len(text), text, f"rule:{intent}")
            c = Classification(True, confidence, stage, (intent,), (), (quote,), "t")
            signal = db.Signal(
                post_id=post_id, is_signal=True, confidence=confidence, stage=stage,
                intents=[intent], products=["Linear"], model_version="t",
            )  # fmt: skip
            session.add(signal)
            session.flush()
            author = Author("reddit", handle, None) if handle else None
            seeded.append((post_id, c, author, signal.id or 0))
    return seeded


def _post(
    session: Session, source_id: int, key: str, author: str | None, at: datetime, text: str
) -> int:
    post = db.Post(
        source_id=source_id, external_id=key, url=f"https://www.reddit.com/r/x/{key}",
        author=author, text=text, published_at=at,
    )  # fmt: skip
    session.add(post)
    session.flush()
    assert post.id is not None
    return post.id


def _merge(engine: Engine, seeded: list[tuple[int, Classification, Author | None, int]]) -> int:
    with clock.fixed(NOW), Session(engine) as session, session.begin():
        authored = [(session.get_one(db.Post, p), c, a) for p, c, a, _ in seeded if a]
        unauthored = [(session.get_one(db.Post, p), c) for p, c, a, _ in seeded if a is None]
        return merge_signals(session, authored, {p: s for p, _, _, s in seeded}, unauthored)


def _outcome(engine: Engine) -> dict[str, Any]:
    """Everything the merge wrote, in id order, as plain values."""

    def rows(model: Any, *columns: Any, order: Any) -> list[tuple[Any, ...]]:
        statement = select(*(col(getattr(model, c)) for c in columns)).order_by(col(order))
        return [tuple(r) for r in session.execute(statement)]

    with Session(engine) as session:
        return {
            "scores": rows(
                ContactScore, "contact_id", "fit_grade", "fit_points", "points", "by_kind",
                "by_category", "band", "cell", "as_of", order=ContactScore.contact_id,
            ),
            "stages": rows(
                StageChange, "contact_id", "account_id", "kind", "old", "new", "reason",
                "occurred_at", order=StageChange.id,
            ),
            "events": [
                (m, t, c, json.dumps(p, sort_keys=True))
                for m, t, c, p in rows(
                    PeopleEvent, "message_id", "type", "contact_id", "payload", order=PeopleEvent.id
                )
            ],
            "tasks": rows(
                Task, "contact_id", "account_id", "post_id", "play", "action", "owner", "detail",
                "due_at", order=Task.id,
            ),
            "hints": rows(
                InferredAttribute, "contact_id", "account_id", "post_id", "attribute", "value",
                order=InferredAttribute.id,
            ),
            "accounts": rows(
                AccountScore, "account_id", "points", "band", "active_contacts", "as_of",
                order=AccountScore.account_id,
            ),
            "contacts": rows(
                db.Contact, "id", "lifecycle_stage", "buyer_stage", order=db.Contact.id
            ),
            "account_stages": rows(db.Account, "id", "buyer_stage", order=db.Account.id),
            "account_activities": rows(
                AccountActivity, "account_id", "post_id", "kind", "stage", "weight",
                order=AccountActivity.id,
            ),
        }  # fmt: skip


@pytest.fixture
def other_engine(engine: Engine, database_url: str, tmp_path: Any) -> Any:
    """A second fresh store of the same kind as `engine`."""
    from signals.store import schema
    from signals.store.engine import make_engine

    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'other.db'}"
        second = make_engine(url)
    else:
        second = make_engine(database_url.replace("search_path%3D", "search_path%3Dother_"))
        with second.begin() as connection:
            from sqlalchemy import text

            schema_name = database_url.rsplit("search_path%3D", 1)[1]
            connection.execute(text(f'CREATE SCHEMA "other_{schema_name}"'))
    schema.upgrade(second)
    yield second
    if not database_url.startswith("sqlite"):
        with second.begin() as connection:
            from sqlalchemy import text

            connection.execute(text(f'DROP SCHEMA "other_{schema_name}" CASCADE'))
    second.dispose()


def test_a_batch_merges_as_its_signals_one_at_a_time(engine: Engine, other_engine: Engine) -> None:
    seeded = _seed(engine)
    assert _merge(engine, seeded) == AUTHORED
    batch = _outcome(engine)

    one_by_one = _seed(other_engine)
    assert [p for p, *_ in one_by_one] == [p for p, *_ in seeded]
    assert sum(_merge(other_engine, [item]) for item in one_by_one) == AUTHORED
    single = _outcome(other_engine)

    for part in batch:
        assert batch[part] == single[part], part
    # The scenario exercises what ordering decides: every buyer-stage transition of ana
    # (evaluate, test, deploy) and of Acme (sample too, from its own post) is recorded, hints
    # from ben's post refit him, plays made tasks and alerted ana's owner, and cai's score
    # folded into last week's.
    buyer = [(c, a, old, new) for c, a, kind, old, new, *_ in batch["stages"] if kind == "buyer"]
    ana, ben, cai, zoe, dan = (row[0] for row in batch["contacts"])
    assert zoe < dan
    assert [(old, new) for c, _, old, new in buyer if c == ana] == [
        (None, "evaluate"),
        ("evaluate", "test"),
        ("test", "deploy"),
    ]
    assert [(old, new) for c, a, old, new in buyer if a is not None] == [
        (None, "evaluate"),
        ("evaluate", "sample"),  # Acme's own signal, between ana's first two
        ("sample", "test"),
        ("test", "deploy"),
    ]
    assert ("company_size", "40") in [(h[3], h[4]) for h in batch["hints"] if h[0] == ben]
    assert {t[4] for t in batch["tasks"]} >= {"alert_owner", "suggest_reply"}
    assert any('"Play Triggered"' in e[3] for e in batch["events"])
    cai_score = next(s for s in batch["scores"] if s[0] == cai)
    assert set(cai_score[4]) == {"pricing_inquiry", "comparison", "trial"}
    # ana's two purchase_ready signals of one day share its cap (40 x 0.95 + 40 x 0.9 > 60).
    ana_score = next(s for s in batch["scores"] if s[0] == ana)
    assert ana_score[4]["purchase_ready"] < 60.0


def test_org_hint_gate_skips_only_texts_without_hints() -> None:
    """The gate before the tokenizer and matcher changes no hint on the real labelled posts."""
    texts = []
    for path in sorted((ROOT / "data" / "labeled").glob("*.jsonl")):
        for line in path.read_text().splitlines():
            post = json.loads(line)
            texts.append("\n".join(filter(None, (post.get("title"), post["text"]))))
    tools = tuple(sorted(people_config.active().product_categories))
    gated = list(OrgHintExtractor(tools).extract_many(texts))
    everything = list(OrgHintExtractor(tools, gate=False).extract_many(texts))
    assert len(texts) > 1000
    assert sum(1 for hints in everything if hints) > 50
    assert gated == everything
