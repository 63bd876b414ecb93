"""The respond inbox: claim, assign, status with reply URL, deadlines from plays, etiquette."""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import lxml.html
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from webtools import Seeded, WebClient, add_signal, seed

from signals.store.models_web import ResponseTask

Login = Callable[[str], WebClient]


def _task(engine: Engine, post_id: int) -> ResponseTask | None:
    with Session(engine) as session:
        return session.exec(select(ResponseTask).where(ResponseTask.post_id == post_id)).first()


def _threads(client: httpx.Client, view: str = "open") -> list[int]:
    tree = lxml.html.fromstring(client.get(f"/inbox?view={view}").text)
    return [int(a.get("data-post-id")) for a in tree.xpath("//article[@data-post-id]")]


def test_claim_then_respond_with_a_reply_url(
    as_user: Login, seeded: Seeded, sqlite_engine: Engine
) -> None:
    cora = as_user("cora")
    post_id = seeded.post_ids[2]
    assert post_id in _threads(cora)
    cora.post(f"/inbox/{post_id}/claim", data={"csrf_token": cora.csrf})
    task = _task(sqlite_engine, post_id)
    assert task is not None
    assert (task.status, task.assignee_id) == ("claimed", seeded.user_ids["cora"])
    assert post_id in _threads(cora, "mine")
    reply = "https://www.reddit.com/r/sysadmin/comments/abc/_/def/"
    response = cora.post(
        f"/inbox/{post_id}/status",
        data={"status": "responded", "reply_url": reply, "csrf_token": cora.csrf},
    )
    assert response.status_code == 303
    task = _task(sqlite_engine, post_id)
    assert task is not None
    assert (task.status, task.reply_url) == ("responded", reply)
    assert task.responded_at is not None
    assert post_id not in _threads(cora)
    assert post_id in _threads(cora, "responded")


def test_responded_needs_an_http_reply_url(
    as_user: Login, seeded: Seeded, sqlite_engine: Engine
) -> None:
    cora = as_user("cora")
    for url in ("", "javascript:alert(1)", "ftp://x/"):
        response = cora.post(
            f"/inbox/{seeded.post_ids[0]}/status",
            data={"status": "responded", "reply_url": url, "csrf_token": cora.csrf},
        )
        assert response.status_code == 400
        assert "http(s) URL" in html.unescape(response.text)
    assert _task(sqlite_engine, seeded.post_ids[0]) is None


def test_a_thread_claimed_by_someone_else_cannot_be_claimed(
    as_user: Login, seeded: Seeded, sqlite_engine: Engine
) -> None:
    cora, ada = as_user("cora"), as_user("ada")
    post_id = seeded.post_ids[1]
    ada.post(f"/inbox/{post_id}/claim", data={"csrf_token": ada.csrf})
    response = cora.post(f"/inbox/{post_id}/claim", data={"csrf_token": cora.csrf})
    assert response.status_code == 400
    assert "already claimed by ada" in response.text
    # Reassigning is explicit.
    cora.post(
        f"/inbox/{post_id}/assign",
        data={"assignee_id": seeded.user_ids["cora"], "csrf_token": cora.csrf},
    )
    task = _task(sqlite_engine, post_id)
    assert task is not None
    assert task.assignee_id == seeded.user_ids["cora"]
    refused = cora.post(
        f"/inbox/{post_id}/assign",
        data={"assignee_id": seeded.user_ids["mara"], "csrf_token": cora.csrf},
    )
    assert refused.status_code == 400
    assert "mara is not a community manager" in refused.text


def test_deadline_comes_from_the_play_else_the_default(
    as_user: Login, seeded: Seeded, sqlite_engine: Engine
) -> None:
    posted = datetime.now(UTC) - timedelta(minutes=90)
    with Session(sqlite_engine) as session:
        late, _ = add_signal(
            session,
            seeded.source_ids["hn"],
            "late",
            "Which tool?",
            published=posted,
            intents=["alternative_seeking"],
        )
        open_, _ = add_signal(
            session,
            seeded.source_ids["hn"],
            "no-play",
            "Thoughts?",
            published=posted,
            intents=[],
            stage="recognize",
        )
        session.commit()
    tree = lxml.html.fromstring(as_user("cora").get("/inbox").text)
    late_timer = tree.xpath(f"//article[@data-post-id='{late}']//span[contains(@class,'timer')]")[0]
    open_timer = tree.xpath(f"//article[@data-post-id='{open_}']//span[contains(@class,'timer')]")[
        0
    ]
    # "Alternative seeker" allows 60 minutes: 90 minutes after posting it is 30 minutes late.
    assert "overdue" in late_timer.get("class")
    assert late_timer.text.strip().startswith("overdue by 0h 3")
    assert datetime.fromisoformat(late_timer.get("data-deadline")) == posted + timedelta(minutes=60)
    # No play matches: the default 120 minutes leaves about 30 minutes.
    assert open_timer.text.strip().startswith("due in 0h")
    article = tree.xpath(f"//article[@data-post-id='{late}']")[0]
    assert "Play: Alternative seeker" in article.text_content()


def test_etiquette_notes_and_reply_link_are_shown(as_user: Login, seeded: Seeded) -> None:
    tree = lxml.html.fromstring(as_user("cora").get("/inbox").text)
    article = tree.xpath(f"//article[@data-post-id='{seeded.post_ids[0]}']")[0]
    assert "Vendors must disclose their affiliation" in article.text_content()
    link = article.xpath(".//a[contains(., 'Reply on the site')]")[0]
    assert link.get("href") == "https://www.reddit.com/r/sysadmin/p0"
    assert "noopener" in link.get("rel")


def test_rejected_signals_need_no_reply(as_user: Login, seeded: Seeded) -> None:
    mara, cora = as_user("mara"), as_user("cora")
    mara.post(
        f"/review/{seeded.signal_ids[0]}/decision",
        data={"decision": "reject", "csrf_token": mara.csrf},
    )
    assert seeded.post_ids[0] not in _threads(cora, "all")
    assert seeded.post_ids[1] in _threads(cora, "all")


def test_inbox_csv_lists_the_view(as_user: Login, seeded: Seeded) -> None:
    cora = as_user("cora")
    cora.post(f"/inbox/{seeded.post_ids[0]}/claim", data={"csrf_token": cora.csrf})
    rows = list(csv.DictReader(io.StringIO(cora.get("/inbox.csv?view=claimed").text)))
    assert [(int(r["post_id"]), r["status"], r["assignee"]) for r in rows] == [
        (seeded.post_ids[0], "claimed", "cora")
    ]


def test_inbox_views_on_sqlite_and_postgresql(engine: Engine) -> None:
    from signals.store.models_web import User
    from signals.web import inbox
    from signals.web.queue import decide, queue_item
    from signals.web.settings import load_web_settings

    seeded = seed(engine, signals=5)
    settings = load_web_settings(None)
    cora = seeded.user_ids["cora"]
    with Session(engine) as session:
        open_, cursor = inbox.threads(session, settings, "open", cora)
        assert [t.post.id for t in open_] == list(reversed(seeded.post_ids))
        assert cursor is None
        first, second, third = (
            inbox.thread_for(session, settings, seeded.post_ids[i]) for i in range(3)
        )
        assert first and second and third
        inbox.claim(session, first, cora)
        inbox.set_status(session, second, cora, "responded", "https://example.com/r/1")
        ada = session.get_one(User, seeded.user_ids["ada"])
        inbox.assign(session, third, ada)
        item = queue_item(session, seeded.signal_ids[4])
        assert item is not None
        decide(session, item, seeded.user_ids["mara"], "reject")
        session.commit()
    with Session(engine) as session:

        def ids(view: str, user: int = cora) -> list[int | None]:
            return [t.post.id for t in inbox.threads(session, settings, view, user)[0]]

        assert ids("open") == [seeded.post_ids[i] for i in (3, 2, 0)]  # 4 rejected, 1 answered
        assert ids("claimed") == [seeded.post_ids[2], seeded.post_ids[0]]  # latest change first
        assert ids("responded") == [seeded.post_ids[1]]
        assert ids("mine") == [seeded.post_ids[1], seeded.post_ids[0]]
        assert ids("mine", seeded.user_ids["ada"]) == [seeded.post_ids[2]]
        assert ids("new") == [seeded.post_ids[3]]


def test_inbox_pages_walk_every_thread_once(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from signals.web import inbox
    from signals.web import queue as queue_module
    from signals.web.settings import load_web_settings

    seeded = seed(engine, signals=7)
    monkeypatch.setattr(inbox, "PAGE", 2)
    monkeypatch.setattr(queue_module, "WINDOW", 3)
    settings = load_web_settings(None)
    cora = seeded.user_ids["cora"]
    with Session(engine) as session:
        for index in (1, 3, 4):
            found = inbox.thread_for(session, settings, seeded.post_ids[index])
            assert found is not None
            inbox.claim(session, found, cora)
        session.commit()
        for view, expected in (
            ("open", list(reversed(seeded.post_ids))),
            ("new", [seeded.post_ids[i] for i in (6, 5, 2, 0)]),
            ("claimed", [seeded.post_ids[i] for i in (4, 3, 1)]),
        ):
            seen: list[int | None] = []
            cursor: str | None = None
            while True:
                page, cursor = inbox.threads(session, settings, view, cora, cursor)
                assert len(page) <= 2
                seen += [t.post.id for t in page]
                if cursor is None:
                    break
            assert seen == expected, view
