"""The Reddit adapter: PRAW against recorded Reddit responses on the replay server."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from signals.replay import ReplayServer, Route
from sources import BlockedAddressError, Cursor, HttpClient, HttpSettings, SourceError, build_source
from sources.reddit import RedditSource, to_post
from tests.cassettes import interactions, serve_cassette
from tests.clock import FakeClock

FIXTURES = Path(__file__).parent / "fixtures" / "reddit"
NEW = FIXTURES / "TestSubredditListings.test_new.json"
COMMENTS = FIXTURES / "TestSubmission.test_comments.json"
CREDENTIALS = {"client_id": "test-client", "client_secret": "test-secret"}
LOCAL = frozenset({"127.0.0.1"})


def _source(server: ReplayServer, **settings: object) -> RedditSource:
    roots = {"oauth_url": server.url(""), "reddit_url": server.url("")}
    source = build_source("reddit", {**CREDENTIALS, **roots, **settings})
    assert isinstance(source, RedditSource)
    return source


def _recorded_listing() -> list[dict[str, object]]:
    body = json.loads(interactions(NEW)[1]["response"]["body"]["string"])
    return [child["data"] for child in body["data"]["children"]]


def test_subreddit_new_posts_are_read_with_ids_authors_times_and_text(
    replay: ReplayServer,
) -> None:
    serve_cassette(replay, NEW)
    recorded = _recorded_listing()
    source = _source(replay, subreddit="askreddit", comments=False, backfill_days=0)
    with HttpClient(HttpSettings(allow_hosts=LOCAL)) as http:
        result = source.fetch(http, Cursor(position=json.dumps({"since": 0})))
    assert len(result.posts) == len(recorded) == 100
    first = result.posts[0]
    assert first.external_id == f"t3_{recorded[0]['id']}"
    assert first.author == recorded[0]["author"]
    assert first.title == recorded[0]["title"]
    assert first.published == datetime.fromtimestamp(float(recorded[0]["created_utc"]), UTC)  # type: ignore[arg-type]
    assert first.url == f"https://www.reddit.com{recorded[0]['permalink']}"
    assert first.community == "r/AskReddit"
    token, listing = replay.requests
    assert (token.method, token.path) == ("POST", "/api/v1/access_token")
    assert listing.path.startswith("/r/askreddit/new")
    assert "test-secret" not in repr(source)


def test_second_crawl_asks_reddit_only_for_items_newer_than_the_last_one(
    replay: ReplayServer,
) -> None:
    serve_cassette(replay, NEW)
    source = _source(replay, subreddit="askreddit", comments=False)
    with HttpClient(HttpSettings(allow_hosts=LOCAL)) as http:
        first = source.fetch(http, Cursor(position=json.dumps({"since": 0})))
        source.fetch(http, first.cursor)
    listings = [r for r in replay.requests if r.path.startswith("/r/askreddit/new")]
    assert len(listings) == 2
    assert "before" not in parse_qs(urlsplit(listings[0].path).query)
    newest = first.posts[0].external_id
    assert parse_qs(urlsplit(listings[1].path).query)["before"] == [newest]


def test_submission_with_all_comments_links_parents(replay: ReplayServer) -> None:
    serve_cassette(replay, COMMENTS)
    url = "https://www.reddit.com/r/redditdev/comments/2gmzqe/praw_https/"
    preview = RedditSource.for_target(url, replay.url(""))
    assert preview.submission == "2gmzqe"
    source = _source(replay, submission=preview.submission)  # a 2014 thread: read whole
    with HttpClient(HttpSettings(allow_hosts=LOCAL)) as http:
        result = source.fetch(http, Cursor())
    ids = [(p.external_id, p.parent_id, p.author) for p in result.posts]
    assert ids == [
        ("t3_2gmzqe", None, "bboe"),
        ("t1_cklfmye", "t3_2gmzqe", "paneer_burrito"),
        ("t1_cklhv0f", "t1_cklfmye", "bboe"),
    ]
    post, question, answer = result.posts
    assert post.title == "[PRAW] HTTPS enabled PRAW testing needed"
    assert question.text.startswith("Quick question: I remember reading about an issue")
    assert answer.text.startswith("Yes it does. That fix is also in the master branch")
    assert answer.published == datetime.fromtimestamp(1411010034, UTC)
    assert answer.thread_url == "https://www.reddit.com/comments/2gmzqe/"


def test_spent_reddit_budget_holds_the_next_request_until_reset(replay: ReplayServer) -> None:
    clock = FakeClock()
    replay.clock = clock
    # prawcore also sleeps (for real) until the reset; 1 s keeps the test short.
    spent = {"x-ratelimit-remaining": "0.0", "x-ratelimit-used": "600", "x-ratelimit-reset": "1"}
    serve_cassette(replay, NEW, **spent)
    source = _source(replay, subreddit="askreddit", comments=True)
    replay.routes["/r/askreddit/comments/"] = Route(
        body=b'{"kind": "Listing", "data": {"children": [], "after": null, "before": null}}',
        content_type="application/json",
        conditional=False,
    )
    with HttpClient(HttpSettings(allow_hosts=LOCAL), clock=clock) as http:
        source.fetch(http, Cursor())
    listing = next(r for r in replay.requests if r.path.startswith("/r/askreddit/new"))
    comments = next(r for r in replay.requests if r.path.startswith("/r/askreddit/comments"))
    assert comments.at - listing.at >= 1.0  # on the fake clock: our pacer held the host


def test_reddit_urls_are_checked_by_the_ssrf_guard_before_praw_connects(
    replay: ReplayServer,
) -> None:
    serve_cassette(replay, NEW)
    source = _source(replay, subreddit="askreddit")
    with HttpClient(HttpSettings()) as http, pytest.raises(BlockedAddressError, match="loopback"):
        source.fetch(http, Cursor())
    assert replay.requests == []


def test_missing_credentials_name_the_environment_variables(
    replay: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REDDIT_CLIENT_ID", raising=False)
    monkeypatch.delenv("REDDIT_CLIENT_SECRET", raising=False)
    source = RedditSource(subreddit="askreddit", oauth_url=replay.url(""))
    with HttpClient(HttpSettings(allow_hosts=LOCAL)) as http:
        with pytest.raises(Exception, match="REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET"):
            source.fetch(http, Cursor())


def test_recheck_finds_posts_reddit_no_longer_returns(replay: ReplayServer) -> None:
    serve_cassette(replay, NEW)
    recorded = _recorded_listing()
    # /api/info answers with the recorded listing: its posts still exist, the others do not.
    replay.routes["/api/info/"] = replay.routes["/r/askreddit/new"]
    source = _source(replay, subreddit="askreddit")
    present = [f"t3_{recorded[0]['id']}", f"t3_{recorded[1]['id']}"]
    with HttpClient(HttpSettings(allow_hosts=LOCAL)) as http:
        gone = source.recheck(http, [*present, "t3_zzzzzz", "t1_yyyyyy"])
    assert gone == {"t3_zzzzzz", "t1_yyyyyy"}
    info = next(r for r in replay.requests if r.path.startswith("/api/info"))
    assert parse_qs(urlsplit(info.path).query)["id"] == [
        ",".join([*present, "t3_zzzzzz", "t1_yyyyyy"])
    ]


def test_malformed_reddit_body_is_a_source_error(replay: ReplayServer) -> None:
    serve_cassette(replay, NEW)
    replay.routes["/r/askreddit/new"] = Route(body=b"<html>we broke</html>", conditional=False)
    source = _source(replay, subreddit="askreddit", comments=False)
    with HttpClient(HttpSettings(allow_hosts=LOCAL)) as http, pytest.raises(SourceError):
        source.fetch(http, Cursor())


def test_deleted_and_removed_posts_lose_author_and_text() -> None:
    import praw

    reddit = praw.Reddit(
        client_id="x", client_secret="y", user_agent="test", check_for_updates=False
    )
    body = _recorded_listing()[0]
    removed = reddit._objector.objectify(
        data={"kind": "t3", "data": {**body, "author": "[deleted]", "selftext": "[removed]"}}
    )
    post = to_post(removed)
    assert post is not None
    assert (post.author, post.author_url, post.text) == (None, None, body["title"])
    sparse = reddit._objector.objectify(data={"kind": "t1", "data": {"id": "abc", "new": 1}})
    comment = to_post(sparse)
    assert comment is not None
    assert (comment.external_id, comment.text, comment.author) == ("t1_abc", "", None)


def test_search_asks_for_the_newest_matches(replay: ReplayServer) -> None:
    serve_cassette(replay, NEW)
    # Any real listing will do as the answer: the request is what this test checks.
    replay.routes["/r/all/search/"] = replay.routes["/r/askreddit/new"]
    source = RedditSource.for_target("search:alternative to jira", None)
    source = _source(replay, search=source.search, backfill_days=0)
    with HttpClient(HttpSettings(allow_hosts=LOCAL)) as http:
        result = source.fetch(http, Cursor())
    assert len(result.posts) == 100
    search = next(r for r in replay.requests if r.path.startswith("/r/all/search"))
    query = parse_qs(urlsplit(search.path).query)
    assert (query["q"], query["sort"]) == (["alternative to jira"], ["new"])


def test_reddit_bodies_are_capped_like_our_own_client(replay: ReplayServer) -> None:
    import gzip

    serve_cassette(replay, NEW)
    bomb = gzip.compress(b"\0" * (16 * 1024 * 1024))
    replay.routes["/r/askreddit/new"] = Route(
        body=bomb, headers={"Content-Encoding": "gzip"}, conditional=False
    )
    source = _source(replay, subreddit="askreddit", comments=False)
    settings = HttpSettings(allow_hosts=LOCAL, max_body_bytes=1024 * 1024)
    with HttpClient(settings) as http, pytest.raises(SourceError, match="1048576 bytes"):
        source.fetch(http, Cursor())
