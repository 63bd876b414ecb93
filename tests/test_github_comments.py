"""GitHub issue comments over real HTTP on 127.0.0.1, replaying comments recorded from the API."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from signals.replay import ReplayServer, Route
from sources import Cursor, HttpClient, HttpSettings
from sources.github import GitHubSource
from tests.conftest import FIXTURES

GITHUB = FIXTURES / "github"
ISSUES = "/repos/PyGithub/PyGithub/issues"
COMMENTS = "/repos/PyGithub/PyGithub/issues/comments"
JSON = "application/json; charset=utf-8"
# The headers GitHub sent with the recorded first page of comments.
LIMITS = {"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "4969"}
# Issue 4141750's comments in the 2012 recording: its `issue_url` ends with the issue's id.
THREAD = "PyGithub/PyGithub#4141750"
THREAD_URL = "https://github.com/PyGithub/PyGithub/issues/4141750"
FIRST3 = (GITHUB / "repo_issues_comments_first3.derived.json").read_bytes()


def _client(attempts: int = 3) -> HttpClient:
    return HttpClient(HttpSettings(allow_hosts=frozenset({"127.0.0.1"}), max_attempts=attempts))


def _query(path: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(path).query)


def _route(body: bytes, **headers: str) -> Route:
    return Route(body=body, content_type=JSON, headers={**LIMITS, **headers}, conditional=False)


def _serve(replay: ReplayServer, comments: bytes = b"[]") -> None:
    """The recorded issue #33, and these comments."""
    replay.routes[ISSUES] = _route((GITHUB / "repo_issues_labels_bug.json").read_bytes())
    replay.routes[COMMENTS] = _route(comments)


def _source(replay: ReplayServer, **settings: Any) -> GitHubSource:
    settings = {"backfill_days": None, "include_discussions": False, **settings}
    return GitHubSource("PyGithub/PyGithub", base_url=replay.url(""), **settings)


def test_issue_comments_come_out_as_replies_to_their_issue(replay: ReplayServer) -> None:
    _serve(replay, FIRST3)
    with _client() as http:
        result = _source(replay).fetch(http, Cursor())
    issue, *comments = result.posts
    assert issue.external_id == "PyGithub/PyGithub#33"  # the issues still come, first
    assert [c.external_id for c in comments] == [
        f"{THREAD}/comment-5168757",
        f"{THREAD}/comment-5181640",
        f"{THREAD}/comment-5183010",
    ]
    first = comments[0]
    assert first.source == "github"
    assert first.parent_id == THREAD
    # The 2012 answer has no html_url: the thread's address is built from the issue number.
    assert first.url == first.thread_url == THREAD_URL
    assert first.author == "jacquev6"
    assert first.author_url == "https://github.com/jacquev6"
    assert first.published == datetime(2012, 4, 17, 5, 50, 25, tzinfo=UTC)
    assert first.text == (
        "Thank you for reporting this. I'll publish a fix as soon as possible (tonight or tomorrow)"
    )
    assert first.title is None
    assert first.community == "PyGithub/PyGithub"
    assert comments[1].text == "Fixed in version 0.6. Please `easy_install --upgrade pygithub`"
    assert (comments[2].author, comments[2].text) == ("tallforasmurf", "yes fixed thanks")
    assert {c.parent_id for c in comments} == {THREAD}
    (asked,) = replay.requests_to(COMMENTS)
    assert _query(asked.path) == {"sort": ["updated"], "direction": ["asc"], "per_page": ["100"]}
    assert json.loads(result.cursor.position or "") == {
        "since": "2012-05-28T14:47:03Z",
        "comments": "2012-04-17T18:58:06Z",  # the newest comment's updated_at + 1 s
    }
    assert result.warnings == ()


def test_second_crawl_asks_for_comments_since_the_newest_and_keeps_every_mark(
    replay: ReplayServer,
) -> None:
    _serve(replay, FIRST3)
    node = json.loads((GITHUB / "graphql_discussion_node_2993.json").read_bytes())["data"]["node"]
    page = {"pageInfo": {"endCursor": "c1", "hasNextPage": False}, "nodes": [node]}
    replay.routes["/graphql"] = _route(
        json.dumps({"data": {"repository": {"discussions": page}}}).encode()
    )
    source = _source(replay, include_discussions=True, token="ghp_test_token")
    with _client() as http:
        first = source.fetch(http, Cursor())
        for path in (ISSUES, COMMENTS):  # nothing new since
            replay.routes[path] = _route(b"[]")
        second = source.fetch(http, first.cursor)
    assert len(first.posts) == 1 + 3 + 2  # the issue, its comments, the discussion and answer
    assert json.loads(first.cursor.position or "") == {
        "since": "2012-05-28T14:47:03Z",
        "comments": "2012-04-17T18:58:06Z",
        "discussions": "2024-08-29T16:01:00Z",
    }
    first_ask, second_ask = replay.requests_to(COMMENTS)
    assert "since" not in _query(first_ask.path)
    assert _query(second_ask.path)["since"] == ["2012-04-17T18:58:06Z"]
    assert _query(replay.requests_to(ISSUES)[1].path)["since"] == ["2012-05-28T14:47:03Z"]
    assert second_ask.headers["authorization"] == "Bearer ghp_test_token"
    assert second.posts == ()
    assert second.cursor == first.cursor


def test_pull_request_comments_are_left_out_unless_asked_for(replay: ReplayServer) -> None:
    _serve(replay, (GITHUB / "repo_issues_comments_html_url.derived.json").read_bytes())
    with _client() as http:
        default = _source(replay).fetch(http, Cursor())
        with_prs = _source(replay, include_pull_requests=True).fetch(http, Cursor())
    (issue_comment,) = default.posts[1:]
    assert issue_comment.external_id == f"{THREAD}/comment-5168757"
    assert issue_comment.url == f"{THREAD_URL}#issuecomment-5168757"
    assert issue_comment.thread_url == THREAD_URL  # html_url without its fragment
    pr_comment = with_prs.posts[2]
    assert [p.external_id for p in with_prs.posts[1:]] == [
        f"{THREAD}/comment-5168757",
        f"{THREAD}/comment-5181640",
    ]
    assert pr_comment.url == (
        "https://github.com/PyGithub/PyGithub/pull/4141750#issuecomment-5181640"
    )
    assert pr_comment.thread_url == "https://github.com/PyGithub/PyGithub/pull/4141750"
    assert pr_comment.parent_id == THREAD
    # A skipped pull request comment was still read: the mark moves past it either way.
    marks = [json.loads(r.cursor.position or "")["comments"] for r in (default, with_prs)]
    assert marks == ["2012-04-17T17:59:19Z", "2012-04-17T17:59:19Z"]


def test_comments_with_an_empty_body_are_skipped(replay: ReplayServer) -> None:
    recorded = json.loads(FIRST3)
    recorded[1]["body"] = "  \r\n "  # derived at run time: the second comment emptied
    _serve(replay, json.dumps(recorded).encode())
    with _client() as http:
        result = _source(replay).fetch(http, Cursor())
    assert [p.external_id for p in result.posts[1:]] == [
        f"{THREAD}/comment-5168757",
        f"{THREAD}/comment-5183010",
    ]


def test_include_comments_false_asks_nothing_of_the_comments_endpoint(
    replay: ReplayServer,
) -> None:
    _serve(replay, FIRST3)
    replay.routes["/search/issues"] = _route(
        (GITHUB / "search_issues_first2.derived.json").read_bytes()
    )
    with _client() as http:
        result = _source(replay, include_comments=False).fetch(http, Cursor())
        search = GitHubSource("search:compile", base_url=replay.url(""), backfill_days=None)
        search.fetch(http, Cursor())
    assert [p.external_id for p in result.posts] == ["PyGithub/PyGithub#33"]
    assert replay.requests_to(COMMENTS) == []  # neither the repository nor the search asked
    assert result.cursor.position == "2012-05-28T14:47:03Z"  # the plain issues' since, as before
    assert [urlsplit(r.path).path for r in replay.requests] == [ISSUES, "/search/issues"]


def test_a_failed_comments_request_is_a_warning_and_the_issues_are_kept(
    replay: ReplayServer,
) -> None:
    _serve(replay)
    replay.queue(
        COMMENTS,
        Route(body=b"Bad Gateway", status=502, content_type="text/plain", conditional=False),
        _route(b"<html>not json</html>"),
        _route(b'{"message": "Not Found"}'),
    )
    marks = {"since": "2012-05-01T00:00:00Z", "comments": "2012-04-01T00:00:00Z"}
    cursor = Cursor(position=json.dumps(marks))
    with _client(attempts=1) as http:
        results = [_source(replay).fetch(http, cursor) for _ in range(3)]
    url = replay.url(
        f"{COMMENTS}?sort=updated&direction=asc&per_page=100&since=2012-04-01T00%3A00%3A00Z"
    )
    assert [r.warnings for r in results] == [
        (f"github issue comments not read: HTTP 502 ({url})",),
        (
            "github issue comments not read: github answered with malformed JSON: "
            f"Expecting value: line 1 column 1 (char 0) ({url})",
        ),
        (
            "github issue comments not read: "
            f"github answered with something other than a list ({url})",
        ),
    ]
    for result in results:
        assert [p.external_id for p in result.posts] == ["PyGithub/PyGithub#33"]
        # The issues' mark moves on; the comments' stays, so the next crawl asks again.
        assert json.loads(result.cursor.position or "") == {
            "since": "2012-05-28T14:47:03Z",
            "comments": "2012-04-01T00:00:00Z",
        }


def test_a_failed_second_page_keeps_the_first_pages_comments(replay: ReplayServer) -> None:
    page2 = f"{COMMENTS}?page=2"
    _serve(replay)
    replay.routes[COMMENTS] = _route(FIRST3, link=f'<{replay.url(page2)}>; rel="next"')
    replay.routes[page2] = Route(body=b"oops", status=502, conditional=False)
    with _client(attempts=1) as http:
        result = _source(replay).fetch(http, Cursor())
    assert len(replay.requests_to(page2)) == 1
    assert len(result.posts) == 1 + 3
    assert result.warnings == (f"github issue comments not read: HTTP 502 ({replay.url(page2)})",)
    assert json.loads(result.cursor.position or "")["comments"] == "2012-04-17T18:58:06Z"


def test_an_old_cursor_still_works(replay: ReplayServer) -> None:
    _serve(replay)
    with _client() as http:
        plain = _source(replay).fetch(http, Cursor(position="2012-05-01T00:00:00Z"))
        # A cursor written with discussions but before comments were read.
        marks = {"since": "2012-05-20T00:00:00Z", "discussions": "2024-08-29T16:01:00Z"}
        older = _source(replay).fetch(http, Cursor(position=json.dumps(marks)))
    issues, comments = replay.requests_to(ISSUES), replay.requests_to(COMMENTS)
    assert [_query(r.path)["since"] for r in issues] == [
        ["2012-05-01T00:00:00Z"],
        ["2012-05-20T00:00:00Z"],
    ]
    # Comments start where the issues stood.
    assert [_query(r.path)["since"] for r in comments] == [
        ["2012-05-01T00:00:00Z"],
        ["2012-05-20T00:00:00Z"],
    ]
    assert [p.external_id for p in plain.posts] == ["PyGithub/PyGithub#33"]
    assert json.loads(plain.cursor.position or "") == {
        "since": "2012-05-28T14:47:03Z",
        "comments": "2012-05-01T00:00:00Z",  # none read: the next crawl asks from there again
    }
    assert json.loads(older.cursor.position or "") == {
        "since": "2012-05-28T14:47:03Z",
        "comments": "2012-05-20T00:00:00Z",
        "discussions": "2024-08-29T16:01:00Z",
    }


def test_a_spent_rate_limit_on_comments_stops_their_paging_and_the_discussions(
    replay: ReplayServer,
) -> None:
    page2 = f"{COMMENTS}?page=2"
    _serve(replay)
    replay.routes[COMMENTS] = _route(
        FIRST3,
        **{
            "x-ratelimit-remaining": "0",
            "x-ratelimit-reset": str(int(time.time()) + 3600),
            "link": f'<{replay.url(page2)}>; rel="next"',
        },
    )
    source = _source(replay, include_discussions=True, token="ghp_test_token")
    with _client() as http:
        result = source.fetch(http, Cursor())
    assert len(result.posts) == 1 + 3  # what was read is kept
    assert replay.requests_to(page2) == []
    assert replay.requests_to("/graphql") == []
    (warning,) = result.warnings
    assert warning.startswith("rate limit exhausted until ")
    assert json.loads(result.cursor.position or "")["comments"] == "2012-04-17T18:58:06Z"
