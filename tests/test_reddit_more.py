"""Reddit "more comments": PRAW's replace_more against recorded /api/morechildren answers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from signals.replay import ReplayServer, Route
from sources import Cursor, HttpClient, HttpSettings, Post
from sources.reddit import RedditSource

FIXTURES = Path(__file__).parent / "fixtures" / "reddit"
JSON = "application/json; charset=UTF-8"
# The access-token answer recorded in the same cassette (its token was replaced by PRAW).
TOKEN = (
    b'{"access_token": "<ACCESS_TOKEN>", "token_type": "bearer", "expires_in": 3600, "scope": "*"}'
)
EXPANDED = ("cu5pg2h", "cu5tt8h", "cu5t5fm")  # the three "more" stubs, largest count first


def _route(name: str) -> Route:
    return Route(body=(FIXTURES / name).read_bytes(), content_type=JSON, conditional=False)


def _read(replay: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> list[Post]:
    monkeypatch.setenv("REDDIT_CLIENT_ID", "test-client")
    monkeypatch.setenv("REDDIT_CLIENT_SECRET", "test-secret")
    replay.routes["/api/v1/access_token"] = Route(body=TOKEN, content_type=JSON)
    replay.routes["/comments/3hahrw/"] = _route("replace_more_3hahrw_page.derived.json")
    replay.queue(
        "/api/morechildren/",
        *(_route(f"replace_more_morechildren_{stub}.json") for stub in EXPANDED),
    )
    preview = RedditSource.for_target("comments:3hahrw", replay.url(""))
    assert preview.submission == "3hahrw"
    with HttpClient(HttpSettings(allow_hosts=frozenset({"127.0.0.1"}))) as http:
        return list(preview.fetch(http, Cursor()).posts)


def test_comments_behind_more_come_out_with_their_authors_times_and_parents(
    replay: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `comments:ID` is the target form `signals fetch reddit` and `sources add` take.
    posts = {p.external_id: p for p in _read(replay, monkeypatch)}
    # 1 submission + 21 comments on the page + 11, 7 and 6 behind the three "more" stubs.
    assert len(posts) == 1 + 21 + 11 + 7 + 6
    submission = posts["t3_3hahrw"]
    assert (submission.title, submission.author) == ("Ba Dum Tsss", "your_local_librarian")

    # Behind "more" under a top-level comment: a whole reply chain.
    chain = [
        ("t1_cu5pg2h", "Nak4000", "t1_cu5p1hh"),
        ("t1_cu5pjjs", "my__name__is", "t1_cu5pg2h"),
        ("t1_cu5pr04", "Nak4000", "t1_cu5pjjs"),
        ("t1_cu5r2ne", "Hillbillyblues", "t1_cu5pr04"),
        ("t1_cu5sb33", "Ciruttai", "t1_cu5r2ne"),
        ("t1_cu5tau6", "lumdidum", "t1_cu5sb33"),
        ("t1_cu5tuyu", "yermumm9", "t1_cu5sb33"),
    ]
    assert [(i, posts[i].author, posts[i].parent_id) for i, _, _ in chain] == chain
    assert posts["t1_cu5pjjs"].text == "Be more original."
    assert posts["t1_cu5pjjs"].published == datetime.fromtimestamp(1439801788, UTC)
    assert posts["t1_cu5pjjs"].thread_url == "https://www.reddit.com/comments/3hahrw/"

    # Behind the top-level "more": comments straight on the submission.
    top = ["t1_cu5tead", "t1_cu5tt8h", "t1_cu5v9yd", "t1_cu5twf5", "t1_cu5oufs", "t1_cu5pbdh"]
    assert {posts[i].parent_id for i in [*top, "t1_cu5rxpy"]} == {"t3_3hahrw"}
    assert posts["t1_cu5tt8h"].author == "microdon23"
    assert posts["t1_cu5oufs"].text == "I really like it when the title matches the picture."
    assert posts["t1_cu5rxpy"].author == "ryanb-"

    # Behind "more" deep in a thread: replies and a reply to one of them.
    assert (posts["t1_cu5tlgk"].author, posts["t1_cu5tlgk"].parent_id) == (
        "admiraljohn",
        "t1_cu5t0tk",
    )
    assert (posts["t1_cu5x49i"].author, posts["t1_cu5x49i"].parent_id) == (
        "dafaq101",
        "t1_cu5tlgk",
    )
    assert posts["t1_cu5t6gf"].text == "Amazing story, publish it."

    # PRAW asked Reddit for exactly the ids each stub listed, largest stub first.
    asked = [
        parse_qs(r.body.decode())["children"][0].split(",")
        for r in replay.requests_to("/api/morechildren/")
    ]
    assert [ids[0] for ids in asked] == list(EXPANDED)
    assert asked[1] == [
        "cu5tt8h",
        "cu5v9yd",
        "cu5twf5",
        "cu5tkk4",
        "cu5tead",
        "cu5rxpy",
        "cu5oufs",
        "cu5tpek",
        "cu5pbdh",
    ]
    assert all(r.method == "POST" for r in replay.requests_to("/api/morechildren/"))
    assert "test-secret" not in json.dumps([r.path for r in replay.requests])
