"""GitHub: issues and their comments (REST, `since`) and discussions (GraphQL), or issue search."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlencode

from sources.errors import ParseError, SourceConfigError
from sources.github_comments import CommentPage, comments_url, next_page, read_comments
from sources.github_discussions import DiscussionPage, read_discussions
from sources.http import HttpClient
from sources.jsonapi import dump_position, from_iso, load_position
from sources.jsonreader import JsonReader
from sources.records import Cursor, FetchResult, Post
from sources.text import normalise_whitespace

DEFAULT_API = "https://api.github.com"
_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class GitHubSource:
    """`OWNER/REPO` (its issues, optionally pull requests) or `search:QUERY` (issue search)."""

    kind: ClassVar[str] = "github"

    target: str
    base_url: str = DEFAULT_API
    token: str | None = field(default=None, repr=False)  # else GITHUB_TOKEN; never logged
    include_pull_requests: bool = False
    include_discussions: bool = True
    include_comments: bool = True  # OWNER/REPO only: comments under issues (and pull requests)
    per_page: int = 100
    max_pages: int = 5
    backfill_days: int | None = 30
    community: str | None = None
    max_rate_limit_wait: float = 60.0

    def __post_init__(self) -> None:
        target = self.target.strip()
        if not (_REPO.match(target) or (target.startswith("search:") and target[7:].strip())):
            raise SourceConfigError(
                f"github target must be OWNER/REPO or search:QUERY, got {self.target!r}"
            )
        if not self.base_url.startswith(("http://", "https://")):
            raise SourceConfigError(
                f"github base_url must be an API root such as {DEFAULT_API}, got {self.base_url!r}"
            )
        if not 1 <= self.per_page <= 100:
            raise SourceConfigError(f"github per_page must be 1..100, got {self.per_page}")

    @classmethod
    def for_target(cls, target: str, base_url: str | None) -> GitHubSource:
        return cls(target=target, base_url=base_url or DEFAULT_API, backfill_days=None)

    def fetch(self, http: HttpClient, cursor: Cursor) -> FetchResult:
        token = self.token or os.environ.get("GITHUB_TOKEN")
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        reader = JsonReader(http, "github", self.max_rate_limit_wait, headers)
        state = _load(cursor.position)
        since = state.get("since") or self._backfill_start()
        searching = self.target.startswith("search:")
        url: str | None = self._search_url(since) if searching else self._issues_url(since)
        issues: list[dict[str, Any]] = []
        for _ in range(self.max_pages):
            if url is None or reader.stopped:
                break
            response, data = reader.get(url)
            items = data.get("items") if searching and isinstance(data, dict) else data
            if not isinstance(items, list):
                raise ParseError("github answered with something other than a list of issues", url)
            issues.extend(i for i in items if isinstance(i, dict) and "number" in i)
            url = next_page(response.headers.get("link", ""))
        posts = [self._post(i) for i in issues if self.include_pull_requests or not _is_pr(i)]
        stamps = [from_iso(i.get("updated_at" if not searching else "created_at")) for i in issues]
        newest = max((s for s in stamps if s), default=None)
        # `since` (and created:>) include the boundary: start one second after the newest seen.
        position = {**state, "since": _iso(newest + timedelta(seconds=1)) if newest else since}
        read = CommentPage()
        if not searching and self.include_comments:
            # Cursors from before comments were read start them where the issues stood.
            start = state.get("comments", since)
            read = self._comments(reader, start)  # asks nothing once the rate limit stopped us
            posts.extend(read.posts)
            mark = read.newest + timedelta(seconds=1) if read.newest else None
            position["comments"] = _iso(mark) if mark else start
        # The reader's rate-limit stop (issues or comments), then what failed in the comments.
        warnings = [*reader.warnings, *read.warnings]
        if not searching and self.include_discussions:
            if not token:
                # GitHub's GraphQL API answers nobody without a token.
                warnings.append(
                    "github discussions skipped: the GraphQL API needs a token (set GITHUB_TOKEN)"
                )
            elif not reader.stopped:
                found = self._discussions(http, headers, state.get("discussions") or since)
                posts.extend(found.posts)
                warnings.extend(found.warnings)
                if found.newest:
                    position["discussions"] = _iso(found.newest)
        return FetchResult(
            posts=tuple(posts), cursor=Cursor(position=_dump(position)), warnings=tuple(warnings)
        )

    def _comments(self, reader: JsonReader, since: str | None) -> CommentPage:
        repo = self.target.strip()
        return read_comments(
            reader,
            comments_url(self.base_url, repo, since, self.per_page),
            repo,
            max_pages=self.max_pages,
            include_pull_requests=self.include_pull_requests,
            community=self.community or repo,
        )

    def _discussions(
        self, http: HttpClient, headers: dict[str, str], since: str | None
    ) -> DiscussionPage:
        return read_discussions(
            http,
            self._graphql_url(),
            self.target.strip(),
            {**headers, "Content-Type": "application/json"},
            since=from_iso(since),
            per_page=min(self.per_page, 50),  # 50 x 50 comments x 10 replies: within node limits
            max_pages=self.max_pages,
            community=self.community or self.target.strip(),
        )

    def _graphql_url(self) -> str:
        root = self.base_url.rstrip("/")
        # GitHub Enterprise serves REST at /api/v3 and GraphQL at /api/graphql.
        return root[: -len("/v3")] + "/graphql" if root.endswith("/api/v3") else root + "/graphql"

    def _backfill_start(self) -> str | None:
        if not self.backfill_days:
            return None
        return _iso(datetime.now(UTC) - timedelta(days=self.backfill_days))

    def _issues_url(self, since: str | None) -> str:
        params: dict[str, str | int] = {
            "state": "all",
            "sort": "updated",
            "direction": "asc",
            "per_page": self.per_page,
        }
        if since:
            params["since"] = since
        return f"{self.base_url.rstrip('/')}/repos/{self.target.strip()}/issues?{urlencode(params)}"

    def _search_url(self, since: str | None) -> str:
        query = self.target.strip()[7:].strip()
        if since:
            query = f"{query} created:>={since}"
        params = {"q": query, "sort": "created", "order": "desc", "per_page": self.per_page}
        return f"{self.base_url.rstrip('/')}/search/issues?{urlencode(params)}"

    def _post(self, issue: dict[str, Any]) -> Post:
        user = issue.get("user") if isinstance(issue.get("user"), dict) else {}
        login = user.get("login") if isinstance(user, dict) else None
        repo = self._repo_of(issue)
        url = issue.get("html_url")
        return Post(
            source=self.kind,
            external_id=f"{repo}#{issue['number']}",
            text=normalise_whitespace(str(issue.get("body") or "")),
            url=url,
            thread_url=url,
            author=login,
            author_url=(user.get("html_url") if isinstance(user, dict) else None)
            or (f"https://github.com/{login}" if login else None),
            title=normalise_whitespace(str(issue.get("title") or "")) or None,
            published=from_iso(issue.get("created_at")),
            community=self.community or repo,
        )

    def _repo_of(self, issue: dict[str, Any]) -> str:
        if not self.target.startswith("search:"):
            return self.target.strip()
        api_url = str(issue.get("url") or issue.get("repository_url") or "")
        match = re.search(r"/repos/([^/]+/[^/]+)", api_url)
        return match.group(1) if match else "github"


def _is_pr(issue: dict[str, Any]) -> bool:
    pull = issue.get("pull_request")
    return isinstance(pull, dict) and bool(pull.get("html_url") or pull.get("url"))


def _load(position: str | None) -> dict[str, Any]:
    """The cursor: JSON with issue, comment and discussion marks, or (older) the issues' since."""
    if position and position.startswith("{"):
        return load_position(position)
    return {"since": position} if position else {}


def _dump(position: dict[str, Any]) -> str | None:
    """Issues only: the plain since (as before); with comment or discussion marks, JSON."""
    if set(position) <= {"since"}:
        return position.get("since")
    return dump_position(position)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
