"""GitHub adapter over real HTTP on 127.0.0.1, replaying responses recorded from the GitHub API."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from typer.testing import CliRunner

from signals.cli import app
from signals.replay import ReplayServer, Route
from sources import Cursor, HttpClient, HttpSettings, ParseError, SourceConfigError, build_source
from sources.github import GitHubSource
from tests.conftest import FIXTURES

GITHUB = FIXTURES / "github"
ISSUES = "/repos/PyGithub/PyGithub/issues"
COMMENTS = "/repos/PyGithub/PyGithub/issues/comments"
JSON = "application/json; charset=utf-8"


def _client() -> HttpClient:
    return HttpClient(HttpSettings(allow_hosts=frozenset({"127.0.0.1"})))


def _query(path: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(path).query)


def _serve(replay: ReplayServer, path: str, name: str, **headers: str) -> Route:
    route = Route(
        body=(GITHUB / name).read_bytes(),
        content_type=JSON,
        headers={"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "4867", **headers},
        conditional=False,
    )
    replay.routes[path] = route
    return route


def _no_comments(replay: ReplayServer) -> None:
    replay.routes[COMMENTS] = Route(body=b"[]", content_type=JSON, conditional=False)


def test_repository_issues_with_authors_titles_and_times(replay: ReplayServer) -> None:
    _serve(replay, ISSUES, "repo_issues_labels_bug.json")
    _no_comments(replay)
    source = GitHubSource("PyGithub/PyGithub", base_url=replay.url(""), backfill_days=None)
    with _client() as http:
        result = source.fetch(http, Cursor())
    (post,) = result.posts
    assert post.external_id == "PyGithub/PyGithub#33"
    assert post.title == "get_issues() returns max. 250 items"
    assert post.author == "bilderbuchi"
    assert post.author_url == "https://github.com/bilderbuchi"
    assert post.url == post.thread_url == "https://github.com/PyGithub/PyGithub/issues/33"
    assert post.published == datetime(2012, 5, 28, 13, 18, 1, tzinfo=UTC)
    assert post.text.startswith("As the title says, `get_issues()` seems to return a max of 250")
    assert post.text.endswith("This repo hast 940 closed and 340 open issues.")
    assert post.community == "PyGithub/PyGithub"
    assert _query(replay.requests[0].path) == {
        "state": ["all"],
        "sort": ["updated"],
        "direction": ["asc"],
        "per_page": ["100"],
    }
    assert json.loads(result.cursor.position or "") == {
        "since": "2012-05-28T14:47:03Z",  # updated_at + 1 s
        "comments": None,  # none yet, and no backfill limit: the next crawl reads them all
    }
    assert result.warnings == (
        "github discussions skipped: the GraphQL API needs a token (set GITHUB_TOKEN)",
    )


def test_second_crawl_asks_only_for_issues_updated_since(replay: ReplayServer) -> None:
    _serve(replay, ISSUES, "repo_issues_closed_milestone3.json")
    _no_comments(replay)
    source = GitHubSource("PyGithub/PyGithub", base_url=replay.url(""), backfill_days=None)
    with _client() as http:
        first = source.fetch(http, Cursor())
        replay.routes[ISSUES] = Route(body=b"[]", content_type=JSON)
        second = source.fetch(http, first.cursor)
    assert [p.external_id for p in first.posts] == [
        "PyGithub/PyGithub#11",
        "PyGithub/PyGithub#10",
        "PyGithub/PyGithub#8",
        "PyGithub/PyGithub#5",
    ]
    assert [p.author for p in first.posts] == ["jacquev6"] * 4
    assert first.posts[3].text == ""  # an issue with an empty body keeps its title
    assert first.posts[3].title == "Implement full API"
    assert second.posts == ()
    assert _query(replay.requests_to(ISSUES)[1].path)["since"] == ["2012-03-19T20:56:02Z"]


def test_token_is_sent_and_never_shown(
    replay: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _serve(replay, ISSUES, "repo_issues_labels_bug.json")
    _no_comments(replay)
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_secret_value")
    source = GitHubSource("PyGithub/PyGithub", base_url=replay.url(""), include_discussions=False)
    with _client() as http:
        result = source.fetch(http, Cursor())
    assert replay.requests[0].headers["authorization"] == "Bearer ghp_secret_value"
    assert replay.requests[1].headers["authorization"] == "Bearer ghp_secret_value"  # comments
    assert "ghp_secret_value" not in repr(source) + repr(result)
    configured = GitHubSource("a/b", token="from-config")
    assert "from-config" not in repr(configured)


def test_search_reads_items_and_narrows_by_creation_time_next_time(
    replay: ReplayServer,
) -> None:
    _serve(replay, "/search/issues", "search_issues_first2.derived.json")
    source = GitHubSource(
        "search:compile language:C++",
        base_url=replay.url(""),
        include_pull_requests=True,
        backfill_days=None,
    )
    with _client() as http:
        first = source.fetch(http, Cursor())
        source.fetch(http, first.cursor)
    assert [(p.external_id, p.author) for p in first.posts] == [
        ("hrydgard/ppsspp#997", "oioitff"),
        ("ufz/ogs#275", "wenqing"),
    ]
    assert first.posts[0].title == "Make sceMpeg and sceAtrac basiclly workable for PC"
    assert first.warnings == ()  # discussions are a repository matter
    queries = [_query(r.path)["q"][0] for r in replay.requests]
    assert queries == [
        "compile language:C++",
        "compile language:C++ created:>=2013-11-25T15:40:24Z",
    ]


def test_pull_requests_are_left_out_unless_asked_for(replay: ReplayServer) -> None:
    _serve(replay, "/search/issues", "search_issues_first2.derived.json")
    with _client() as http:
        result = GitHubSource("search:compile", base_url=replay.url("")).fetch(http, Cursor())
    assert result.posts == ()


def test_link_header_pagination_is_followed(replay: ReplayServer) -> None:
    page2 = "/repos/PyGithub/PyGithub/issues?page=2"
    _serve(replay, ISSUES, "repo_issues_labels_bug.json", link=f'<{replay.url(page2)}>; rel="next"')
    replay.routes[page2] = Route(
        body=(GITHUB / "repo_issues_closed_milestone3.json").read_bytes(), content_type=JSON
    )
    _no_comments(replay)
    source = GitHubSource("PyGithub/PyGithub", base_url=replay.url(""), backfill_days=None)
    with _client() as http:
        result = source.fetch(http, Cursor())
    assert len(result.posts) == 5
    assert [r.path for r in replay.requests][1] == page2


def test_malformed_and_odd_bodies(replay: ReplayServer) -> None:
    replay.routes[ISSUES] = Route(body=b'{"message": "Not Found"}', content_type=JSON)
    with _client() as http:
        with pytest.raises(ParseError, match="list of issues"):
            GitHubSource("PyGithub/PyGithub", base_url=replay.url("")).fetch(http, Cursor())
        odd = [{"number": 1, "new_field": True}, "junk", {"no_number": 1}]
        replay.routes[ISSUES] = Route(body=json.dumps(odd).encode(), content_type=JSON)
        source = GitHubSource("PyGithub/PyGithub", base_url=replay.url(""))
        (post,) = source.fetch(http, Cursor()).posts
    assert (post.external_id, post.author, post.published) == ("PyGithub/PyGithub#1", None, None)


def test_settings_name_the_fix() -> None:
    with pytest.raises(SourceConfigError, match="OWNER/REPO or search:QUERY"):
        build_source("github", {"target": "just-a-name"})
    with pytest.raises(SourceConfigError, match="must be true or false"):
        build_source("github", {"target": "a/b", "include_discussions": "yes"})


def test_fetch_command_works_against_a_local_api(replay: ReplayServer) -> None:
    _serve(replay, ISSUES, "repo_issues_labels_bug.json")
    _no_comments(replay)
    result = CliRunner().invoke(
        app,
        [
            "fetch",
            "github",
            "PyGithub/PyGithub",
            "--base-url",
            replay.url("/"),
            "--allow-host",
            "127.0.0.1",
        ],
    )
    assert result.exit_code == 0, result.stderr
    (line,) = result.stdout.splitlines()
    assert json.loads(line)["external_id"] == "PyGithub/PyGithub#33"
    assert "discussions skipped" in result.stderr


def test_exhausted_rate_limit_stops_before_the_next_page(replay: ReplayServer) -> None:
    page2 = "/repos/PyGithub/PyGithub/issues?page=2"
    limits = {
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": str(int(time.time()) + 3600),
        "link": f'<{replay.url(page2)}>; rel="next"',
    }
    _serve(replay, ISSUES, "repo_issues_labels_bug.json", **limits)
    source = GitHubSource("PyGithub/PyGithub", base_url=replay.url(""), include_discussions=False)
    with _client() as http:
        result = source.fetch(http, Cursor())
    assert len(result.posts) == 1
    assert replay.requests_to(page2) == []
    assert replay.requests_to(COMMENTS) == []  # the budget is spent: comments wait too
    assert result.warnings[0].startswith("rate limit exhausted")
