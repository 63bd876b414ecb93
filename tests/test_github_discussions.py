"""GitHub discussions over GraphQL, replaying GraphQL answers PyGithub recorded from GitHub."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from signals.replay import ReplayServer, Route
from sources import Cursor, HttpClient, HttpSettings
from sources.github import GitHubSource
from tests.conftest import FIXTURES

GITHUB = FIXTURES / "github"
ISSUES = "/repos/PyGithub/PyGithub/issues"
COMMENTS = "/repos/PyGithub/PyGithub/issues/comments"
JSON = "application/json; charset=utf-8"
# The headers GitHub sent with the recorded GraphQL answers.
LIMITS = {"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "4987"}


def _route(body: bytes) -> Route:
    return Route(body=body, content_type=JSON, headers=LIMITS, conditional=False)


def _source(replay: ReplayServer, **settings: object) -> GitHubSource:
    return GitHubSource(
        "PyGithub/PyGithub",
        base_url=replay.url(""),
        token="ghp_test_token",
        backfill_days=None,
        **settings,  # type: ignore[arg-type]
    )


def _no_issues(replay: ReplayServer) -> None:
    """An issue tracker with nothing in it: no issues, no comments."""
    replay.routes[ISSUES] = Route(body=b"[]", content_type=JSON, conditional=False)
    replay.routes[COMMENTS] = Route(body=b"[]", content_type=JSON, conditional=False)


def _node_2993_as_a_page() -> bytes:
    """The recorded discussion 2993 (a `node(id:)` answer) inside the list query's envelope."""
    node = json.loads((GITHUB / "graphql_discussion_node_2993.json").read_bytes())["data"]["node"]
    page = {"pageInfo": {"endCursor": "c1", "hasNextPage": False}, "nodes": [node]}
    return json.dumps({"data": {"repository": {"discussions": page}}}).encode()


def test_all_three_recorded_pages_are_read_with_numbers_authors_and_titles(
    replay: ReplayServer,
) -> None:
    _no_issues(replay)
    pages = [(GITHUB / f"graphql_discussions_page{n}.json").read_bytes() for n in (1, 2, 3)]
    replay.queue("/graphql", *(_route(page) for page in pages))
    with HttpClient(HttpSettings(allow_hosts=frozenset({"127.0.0.1"}))) as http:
        result = _source(replay, per_page=30).fetch(http, Cursor())
    assert result.warnings == ()
    assert len(result.posts) == 65  # the recorded totalCount
    first, last = result.posts[0], result.posts[-1]
    assert (first.external_id, first.author, first.title) == (
        "PyGithub/PyGithub#3044",
        "gmishkin",
        "Automaticlly look for access tokens in standard places",
    )
    assert (last.external_id, last.author, last.title) == (
        "PyGithub/PyGithub#1780",
        "henryiii",
        "Show an example of a more advanced query",
    )
    assert first.url == "https://github.com/PyGithub/PyGithub/discussions/3044"
    ghost = next(p for p in result.posts if p.external_id == "PyGithub/PyGithub#2619")
    assert ghost.author is None and ghost.author_url is None  # a deleted account: author null
    assert ghost.published is None  # this recording asked for no times: none is invented
    quoted = next(p for p in result.posts if p.external_id == "PyGithub/PyGithub#2889")
    assert quoted.title == (
        'How to set the "prevent_self_review" param when creating/updating GitHub environment?'
    )
    posts = replay.requests_to("/graphql")
    assert [r.method for r in posts] == ["POST"] * 3
    assert posts[0].headers["authorization"] == "Bearer ghp_test_token"
    variables = [json.loads(r.body)["variables"] for r in posts]
    assert [v.get("after") for v in variables] == [
        None,
        "Y3Vyc29yOnYyOpK5MjAyMy0wMy0xNFQwOTozNjoxOSswMTowMM4AQ6mO",
        "Y3Vyc29yOnYyOpK5MjAyMS0wNS0wMVQwNTozMzoxMCswMjowMM4AMwlT",
    ]
    assert variables[0] == {"owner": "PyGithub", "repo": "PyGithub", "first": 30}
    assert "orderBy: {field: UPDATED_AT, direction: DESC}" in json.loads(posts[0].body)["query"]


def test_a_discussion_and_its_answer_come_out_as_thread_and_reply(replay: ReplayServer) -> None:
    _no_issues(replay)
    replay.routes["/graphql"] = _route(_node_2993_as_a_page())
    with HttpClient(HttpSettings(allow_hosts=frozenset({"127.0.0.1"}))) as http:
        result = _source(replay).fetch(http, Cursor())
    # The recording lists two comments by id only; the answer is the one with its text.
    discussion, answer = result.posts
    assert discussion.external_id == "PyGithub/PyGithub#2993"
    assert discussion.author == "heitorPB"
    assert discussion.author_url == "https://github.com/heitorPB"
    assert discussion.title == "How to get a list of custom repository properties?"
    assert discussion.published == datetime(2024, 6, 21, 13, 11, 38, tzinfo=UTC)
    assert discussion.text == (
        "What is the equivalent of https://api.github.com/repos/OWNER/REPO/properties/values? "
        "I'm interested in getting/setting custom properties for my repos. I can do that with "
        "curl, but couldn't find a way to do it via this project.\nDocs here: Get all custom "
        "property values for a repository."
    )
    assert discussion.thread_url == "https://github.com/PyGithub/PyGithub/discussions/2993"
    assert answer.external_id == "PyGithub/PyGithub#2993/DC_kwDOADYVqs4AnxkU"
    assert answer.parent_id == discussion.external_id
    assert answer.thread_url == discussion.thread_url
    assert answer.url == (
        "https://github.com/PyGithub/PyGithub/discussions/2993#discussioncomment-10426644"
    )
    assert answer.author == "dawngerpony"
    assert answer.published == datetime(2024, 8, 23, 6, 36, 50, tzinfo=UTC)
    assert answer.text.startswith("This comment contains the answer to your question:")
    assert answer.text.endswith("but doesn't look like it's made it into a release yet.")
    assert json.loads(result.cursor.position or "{}") == {
        "comments": None,  # none yet, and no backfill limit: the next crawl reads them all
        "discussions": "2024-08-29T16:01:00Z",  # the discussion's updatedAt
        "since": None,
    }


def test_second_crawl_stops_at_the_discussion_it_has_already_read(replay: ReplayServer) -> None:
    _no_issues(replay)
    replay.routes["/graphql"] = _route(_node_2993_as_a_page())
    with HttpClient(HttpSettings(allow_hosts=frozenset({"127.0.0.1"}))) as http:
        source = _source(replay)
        first = source.fetch(http, Cursor())
        second = source.fetch(http, first.cursor)
    assert len(first.posts) == 2
    assert second.posts == ()
    assert second.cursor == first.cursor


def test_without_a_token_no_graphql_request_is_made(
    replay: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    _no_issues(replay)
    source = GitHubSource("PyGithub/PyGithub", base_url=replay.url(""), backfill_days=None)
    with HttpClient(HttpSettings(allow_hosts=frozenset({"127.0.0.1"}))) as http:
        result = source.fetch(http, Cursor())
    assert replay.requests_to("/graphql") == []
    assert result.warnings == (
        "github discussions skipped: the GraphQL API needs a token (set GITHUB_TOKEN)",
    )


def test_graphql_errors_and_failures_are_warnings_and_issues_still_come(
    replay: ReplayServer,
) -> None:
    replay.routes[ISSUES] = Route(
        body=(GITHUB / "repo_issues_labels_bug.json").read_bytes(), content_type=JSON
    )
    replay.routes[COMMENTS] = Route(body=b"[]", content_type=JSON, conditional=False)
    error = b'{"errors":[{"type":"FORBIDDEN","message":"Resource not accessible by integration"}]}'
    replay.queue("/graphql", _route(error), Route(body=b"oops", status=502, conditional=False))
    with HttpClient(HttpSettings(allow_hosts=frozenset({"127.0.0.1"}))) as http:
        source = _source(replay)
        refused = source.fetch(http, Cursor())
        failed = source.fetch(http, Cursor())
    assert [p.external_id for p in refused.posts] == ["PyGithub/PyGithub#33"]
    assert refused.warnings == (
        "github discussions not read: Resource not accessible by integration",
    )
    assert [p.external_id for p in failed.posts] == ["PyGithub/PyGithub#33"]
    assert failed.warnings[0].startswith("github discussions not read: HTTP 502")


# Derived from the recorded discussion 2993, whose answer is the first of its two comments
# (ids DC_kwDOADYVqs4AnxkU and DC_kwDOADYVqs4AoA2V, recorded with ids only): the list answer
# gets one page of each, marked "more to come", and the follow-up answers carry the rest in
# the shape of PyGithub's recorded `node(id:) { ... on Discussion { comments(after:) } }`
# answer. The reply and second-comment texts below are made up for the test.
_RECORDED = json.loads((GITHUB / "graphql_discussion_node_2993.json").read_bytes())
_NODE: dict[str, Any] = _RECORDED["data"]["node"]
_SECOND_COMMENT = "DC_kwDOADYVqs4AoA2V"


def _reply(number: int) -> dict[str, Any]:
    return {
        "id": f"DC_reply{number}",
        "url": f"https://github.com/PyGithub/PyGithub/discussions/2993#discussioncomment-{number}",
        "bodyText": f"Reply {number}: we are evaluating this for our team's repositories.",
        "createdAt": f"2024-08-2{number}T10:00:00Z",
        "author": {"login": f"replier{number}", "url": f"https://github.com/replier{number}"},
    }


def _long_thread() -> tuple[bytes, bytes, bytes]:
    """The list answer, the answer's second page of replies, the second page of comments."""
    more: dict[str, Any] = {"endCursor": "r1", "hasNextPage": True}
    done: dict[str, Any] = {"endCursor": "z", "hasNextPage": False}
    answer = {**_NODE["answer"], "replies": {"pageInfo": more, "nodes": [_reply(1)]}}
    comments = {"pageInfo": {**more, "endCursor": "c1"}, "nodes": [answer]}
    discussions = {"pageInfo": done, "nodes": [{**_NODE, "comments": comments}]}
    second = {**_reply(3), "id": _SECOND_COMMENT, "replies": {"pageInfo": done, "nodes": []}}
    answers: list[dict[str, Any]] = [
        {"data": {"repository": {"discussions": discussions}}},
        {"data": {"node": {"replies": {"pageInfo": done, "nodes": [_reply(2)]}}}},
        {"data": {"node": {"comments": {"pageInfo": done, "nodes": [second]}}}},
    ]
    listing, replies, rest = (json.dumps(a).encode() for a in answers)
    return listing, replies, rest


def test_long_threads_are_read_to_the_end_with_replies_under_their_comment(
    replay: ReplayServer,
) -> None:
    _no_issues(replay)
    replay.queue("/graphql", *(_route(body) for body in _long_thread()))
    with HttpClient(HttpSettings(allow_hosts=frozenset({"127.0.0.1"}))) as http:
        result = _source(replay).fetch(http, Cursor())
    thread = "PyGithub/PyGithub#2993"
    answer = f"{thread}/DC_kwDOADYVqs4AnxkU"
    assert [(p.external_id, p.parent_id) for p in result.posts] == [
        (thread, None),
        (answer, thread),
        (f"{thread}/DC_reply1", answer),
        (f"{thread}/DC_reply2", answer),  # from the second page of the answer's replies
        (f"{thread}/{_SECOND_COMMENT}", thread),  # from the second page of comments
    ]
    assert result.posts[3].author == "replier2"
    assert result.posts[3].text.startswith("Reply 2: we are evaluating")
    asked = [json.loads(r.body) for r in replay.requests_to("/graphql")]
    assert [a["query"].split("(")[0] for a in asked] == [
        "query Discussions",
        "query MoreReplies",
        "query MoreComments",
    ]
    assert asked[1]["variables"] == {"id": "DC_kwDOADYVqs4AnxkU", "after": "r1"}
    assert asked[2]["variables"] == {"id": _NODE["id"], "after": "c1"}
    assert result.warnings == ()


def test_a_failed_follow_up_keeps_what_was_read_and_asks_no_more(replay: ReplayServer) -> None:
    _no_issues(replay)
    listing, _replies, _more = _long_thread()
    error = b'{"errors":[{"type":"RATE_LIMITED","message":"API rate limit exceeded"}]}'
    replay.queue("/graphql", _route(listing), _route(error), _route(b"not json"))
    with HttpClient(HttpSettings(allow_hosts=frozenset({"127.0.0.1"}))) as http:
        result = _source(replay).fetch(http, Cursor())
    assert len(result.posts) == 3  # the discussion, its answer, the first reply
    assert result.warnings == (
        "github discussion replies not all read: API rate limit exceeded",
        "github discussions: 1 long threads not read to the end "
        "(a crawl asks for no further pages of comments after a failed request)",
    )
    assert len(replay.requests_to("/graphql")) == 2  # nothing more asked after the failure


def test_follow_ups_stop_at_the_crawl_budget_with_a_warning(
    replay: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sources.github_discussions as discussions

    monkeypatch.setattr(discussions, "MAX_FOLLOW_UPS", 1)
    _no_issues(replay)
    listing, replies, _more = _long_thread()
    replay.queue("/graphql", _route(listing), _route(replies))
    with HttpClient(HttpSettings(allow_hosts=frozenset({"127.0.0.1"}))) as http:
        result = _source(replay).fetch(http, Cursor())
    assert len(replay.requests_to("/graphql")) == 2
    assert len(result.posts) == 4  # the second page of comments was not asked for
    assert result.warnings == (
        "github discussions: 1 long threads not read to the end "
        "(a crawl asks for at most 1 further pages of comments)",
    )
