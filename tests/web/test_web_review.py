"""The review queue: order, filters, keyset pages, decisions as training feedback, CSV."""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Callable
from dataclasses import replace

import lxml.html
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from webtools import Seeded, WebClient, add_signal, seed

from signals.store.models_web import AuthorMark, ReviewDecision
from signals.web import queue as queue_module
from signals.web.queue import QueueFilter, queue_item, queue_page

Login = Callable[[str], WebClient]


def _ids(html: str) -> list[int]:
    tree = lxml.html.fromstring(html)
    return [int(a.get("data-signal-id")) for a in tree.xpath("//article[@data-signal-id]")]


def test_queue_pages_by_keyset_on_sqlite_and_postgresql(engine: Engine) -> None:
    seeded = seed(engine, signals=7)
    with Session(engine) as session:
        seen: list[int] = []
        qf = QueueFilter(limit=3)
        while True:
            page = queue_page(session, qf)
            seen += [item.signal_id for item in page.items]
            if page.next_cursor is None:
                break
            qf = QueueFilter(limit=3, after=page.next_cursor)
        assert seen == sorted(seeded.signal_ids, reverse=True)  # newest first, none twice
        by_score = queue_page(session, QueueFilter(sort="score", limit=100))
        scores = [item.signal.confidence for item in by_score.items]
        assert scores == sorted(scores, reverse=True)
        comparison = queue_page(session, QueueFilter(intent="comparison"))
        assert {i.signal_id for i in comparison.items} == {seeded.signal_ids[i] for i in (0, 3, 6)}
        # "_" in a label is a LIKE wildcard: it must match only itself.
        assert queue_page(session, QueueFilter(intent="alternative-seeking")).items == []
        hn = queue_page(session, QueueFilter(source="hn", min_score=0.7))
        assert {i.post.external_id for i in hn.items} == {"p5"}


def test_filters_combine_in_the_page(as_user: Login, seeded: Seeded) -> None:
    client = as_user("mara")
    everything = _ids(client.get("/review").text)
    assert everything == sorted(seeded.signal_ids, reverse=True)
    high = _ids(client.get("/review?sort=score&community=Hacker+News&min_score=0.6").text)
    assert high == [seeded.signal_ids[5], seeded.signal_ids[3]]
    assert _ids(client.get("/review?stage=deploy").text) == []
    bad = client.get("/review?sort=random")
    assert bad.status_code == 400
    assert "sort must be one of newest, score" in bad.text


def test_decisions_are_stored_and_leave_the_unreviewed_view(
    as_user: Login, seeded: Seeded, sqlite_engine: Engine
) -> None:
    client = as_user("mara")
    csrf = client.csrf
    first, second, third, fourth = seeded.signal_ids[:4]
    client.post(f"/review/{first}/decision", data={"decision": "accept", "csrf_token": csrf})
    client.post(f"/review/{second}/decision", data={"decision": "reject", "csrf_token": csrf})
    response = client.post(
        f"/review/{third}/decision",
        data={
            "decision": "relabel",
            "stage": "test",
            "intents": ["pricing_inquiry", "trial"],
            "csrf_token": csrf,
        },
        headers={"Accept": "application/json"},
    )
    assert response.json()["decision"] == "relabel"
    client.post(f"/review/{fourth}/decision", data={"decision": "spam", "csrf_token": csrf})
    with Session(sqlite_engine) as session:
        rows = {r.signal_id: r for r in session.exec(select(ReviewDecision))}
        marks = session.exec(select(AuthorMark)).all()
    assert rows[first].is_signal is True
    assert rows[first].intents == ["comparison"]
    assert rows[second].is_signal is False
    assert (rows[third].stage, rows[third].intents) == ("test", ["pricing_inquiry", "trial"])
    assert rows[third].reviewer_id == seeded.user_ids["mara"]
    assert rows[fourth].decision == "spam"
    assert [(m.platform, m.author) for m in marks] == [("reddit", "user3")]
    remaining = _ids(client.get("/review").text)
    assert set(remaining) == set(seeded.signal_ids[4:])
    assert _ids(client.get("/review?state=relabel").text) == [third]
    assert set(_ids(client.get("/review?state=reviewed").text)) == {first, second, third, fourth}


def test_the_latest_decision_wins(as_user: Login, seeded: Seeded) -> None:
    client = as_user("mara")
    csrf = client.csrf
    signal_id = seeded.signal_ids[0]
    client.post(f"/review/{signal_id}/decision", data={"decision": "reject", "csrf_token": csrf})
    client.post(f"/review/{signal_id}/decision", data={"decision": "accept", "csrf_token": csrf})
    assert _ids(client.get("/review?state=accept").text) == [signal_id]
    assert _ids(client.get("/review?state=reject").text) == []


def test_bad_relabel_is_refused_with_the_fix(
    as_user: Login, seeded: Seeded, sqlite_engine: Engine
) -> None:
    client = as_user("mara")
    response = client.post(
        f"/review/{seeded.signal_ids[0]}/decision",
        data={"decision": "relabel", "stage": "buy-now", "csrf_token": client.csrf},
    )
    assert response.status_code == 400
    assert "unknown stage 'buy-now'; use one of recognize" in html.unescape(response.text)
    with Session(sqlite_engine) as session:
        assert session.exec(select(ReviewDecision)).all() == []


def test_spam_authors_leave_the_queue(
    as_user: Login, seeded: Seeded, sqlite_engine: Engine
) -> None:
    with Session(sqlite_engine) as session:
        _, again = add_signal(
            session, seeded.source_ids["hn"], "p-again", "More spam", author="user0"
        )
        session.commit()
    client = as_user("mara")
    assert again in _ids(client.get("/review").text)
    client.post(
        f"/review/{seeded.signal_ids[0]}/decision",
        data={"decision": "spam", "csrf_token": client.csrf},
    )
    assert again not in _ids(client.get("/review").text)


def test_detail_shows_evidence_thread_and_card(
    as_user: Login, seeded: Seeded, sqlite_engine: Engine
) -> None:
    with Session(sqlite_engine) as session:
        _, reply_signal = add_signal(
            session,
            seeded.source_ids["hn"],
            "reply",
            "We trialled Linear, it was fine.",
            parent_id=seeded.post_ids[0],
        )
        session.commit()
    response = as_user("mara").get(f"/review/{seeded.signal_ids[0]}")
    tree = lxml.html.fromstring(response.text)
    assert tree.xpath("//div[contains(@class,'full')]//mark/text()") == ["alternative to Jira"]
    thread = tree.xpath("//ol[@class='thread']/li")
    assert len(thread) == 2
    assert "We trialled Linear" in thread[1].text_content()
    assert "user0 (no contact yet)" in response.text
    with Session(sqlite_engine) as session:
        item = queue_item(session, reply_signal)
        assert item is not None
        assert item.post.parent_id == seeded.post_ids[0]


def test_csv_export_follows_the_filters(as_user: Login, seeded: Seeded) -> None:
    response = as_user("mara").get("/review.csv?source=r/sysadmin&sort=score")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [int(r["signal_id"]) for r in rows] == [seeded.signal_ids[i] for i in (4, 2, 0)]
    assert rows[0]["evidence"] == "alternative to Jira"
    assert rows[0]["source"] == "r/sysadmin"


def test_csv_cells_cannot_run_as_spreadsheet_formulas(
    as_user: Login, seeded: Seeded, sqlite_engine: Engine
) -> None:
    with Session(sqlite_engine) as session:
        add_signal(session, seeded.source_ids["hn"], "f", "x", title='=HYPERLINK("http://e")')
        session.commit()
    rows = list(csv.DictReader(io.StringIO(as_user("mara").get("/review.csv").text)))
    assert rows[0]["title"] == '\'=HYPERLINK("http://e")'


def test_label_filters_walk_the_index_in_windows(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded = seed(engine, signals=9)
    monkeypatch.setattr(queue_module, "WINDOW", 2)  # many windows over a few signals
    expected = [seeded.signal_ids[i] for i in (8, 7, 5, 4, 2, 1)]  # alternative_seeking ones
    with Session(engine) as session:
        for sort in ("newest", "score"):
            seen: list[int] = []
            qf = QueueFilter(intent="alternative_seeking", limit=4, sort=sort)
            while True:
                page = queue_page(session, qf)
                seen += [item.signal_id for item in page.items]
                if page.next_cursor is None:
                    break
                qf = replace(qf, after=page.next_cursor)
            assert seen == expected  # scores rise with the index, so both orders agree
        assert queue_page(session, QueueFilter(product="nothing")).items == []
