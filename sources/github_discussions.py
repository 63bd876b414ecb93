"""GitHub discussions through the GraphQL API: newest activity first, with their comments."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sources.errors import ParseError, SourceError
from sources.http import HttpClient
from sources.jsonapi import from_iso
from sources.records import Post
from sources.text import normalise_whitespace

_PAGE_INFO = "pageInfo { endCursor hasNextPage }"
_AUTHORED = "id url bodyText createdAt author { login url }"
# A comment with its first replies (GitHub threads discussions one level deep).
_COMMENT = f"{_AUTHORED} replies(first: 10) {{ {_PAGE_INFO} nodes {{ {_AUTHORED} }} }}"

# Most recently updated first, so a crawl stops paging at the first discussion it has seen.
QUERY = f"""
query Discussions($owner: String!, $repo: String!, $first: Int!, $after: String) {{
  repository(owner: $owner, name: $repo) {{
    discussions(first: $first, after: $after, orderBy: {{field: UPDATED_AT, direction: DESC}}) {{
      {_PAGE_INFO}
      nodes {{
        id number title url bodyText createdAt updatedAt
        author {{ login url }}
        answer {{ {_AUTHORED} }}
        comments(first: 50) {{ {_PAGE_INFO} nodes {{ {_COMMENT} }} }}
      }}
    }}
  }}
}}
""".strip()

# The rest of a discussion's comments, and of a comment's replies, past the first page.
MORE_COMMENTS = f"""
query MoreComments($id: ID!, $after: String!) {{
  node(id: $id) {{
    ... on Discussion {{
      comments(first: 50, after: $after) {{ {_PAGE_INFO} nodes {{ {_COMMENT} }} }}
    }}
  }}
}}
""".strip()
MORE_REPLIES = f"""
query MoreReplies($id: ID!, $after: String!) {{
  node(id: $id) {{
    ... on DiscussionComment {{
      replies(first: 50, after: $after) {{ {_PAGE_INFO} nodes {{ {_AUTHORED} }} }}
    }}
  }}
}}
""".strip()
# Follow-up requests one crawl may spend on long threads (each is one GraphQL call).
MAX_FOLLOW_UPS = 50


@dataclass
class DiscussionPage:
    """What the discussion pages of one crawl gave: posts, the newest updatedAt, warnings."""

    posts: list[Post] = field(default_factory=list)
    newest: datetime | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Reader:
    """Asks for the next page of one discussion's comments or one comment's replies."""

    http: HttpClient
    endpoint: str
    headers: dict[str, str]
    result: DiscussionPage
    follow_ups: int = 0  # requests for comments and replies past their first page
    cut_short: int = 0  # threads left unfinished: MAX_FOLLOW_UPS spent, or after a failure
    failed: bool = False  # after one failed follow-up (a rate limit, say) ask no more

    def more(self, query: str, node_id: Any, after: Any, key: str) -> dict[str, Any] | None:
        """The next page of connection `key` of node `node_id`; None (a warning) if unread."""
        if not (isinstance(node_id, str) and isinstance(after, str)):
            return None
        if self.failed or self.follow_ups >= MAX_FOLLOW_UPS:
            self.cut_short += 1
            return None
        self.follow_ups += 1
        variables = {"id": node_id, "after": after}
        body = json.dumps({"query": query, "variables": variables}).encode()
        try:
            response = self.http.post(self.endpoint, body, headers=self.headers, paced=True)
            data = json.loads(response.body)
        except (SourceError, ValueError) as exc:
            self._fail(f"github discussion {key} not all read: {exc}")
            return None
        connection = _dig(data, "data", "node", key)
        if not isinstance(connection, dict):
            message = _graphql_error(data)
            self._fail(
                f"github discussion {key} not all read" + (f": {message}" if message else "")
            )
            return None
        return connection

    def _fail(self, warning: str) -> None:
        self.failed = True
        self.result.warnings.append(warning)


def read_discussions(
    http: HttpClient,
    endpoint: str,
    repo: str,
    headers: dict[str, str],
    *,
    since: datetime | None,
    per_page: int,
    max_pages: int,
    community: str,
) -> DiscussionPage:
    """Page through a repository's discussions until one updated before `since` shows up."""
    owner, name = repo.split("/", 1)
    result = DiscussionPage()
    reader = _Reader(http, endpoint, headers, result)
    after: str | None = None
    for _ in range(max_pages):
        variables: dict[str, Any] = {"owner": owner, "repo": name, "first": per_page}
        if after:
            variables["after"] = after
        body = json.dumps({"query": QUERY, "variables": variables}).encode()
        try:
            response = http.post(endpoint, body, headers=headers, paced=True)
        except SourceError as exc:
            result.warnings.append(f"github discussions not read: {exc}")
            break
        connection = _connection(response.body, endpoint, result.warnings)
        if connection is None:
            break
        nodes = [n for n in connection.get("nodes") or [] if isinstance(n, dict)]
        older_seen = False
        for node in nodes:
            updated = from_iso(node.get("updatedAt"))
            if since is not None and updated is not None and updated <= since:
                older_seen = True  # ordered by activity: everything after this is older
                break
            if updated and (result.newest is None or updated > result.newest):
                result.newest = updated
            result.posts.extend(_posts(node, repo, community, reader))
        info = connection.get("pageInfo") if isinstance(connection.get("pageInfo"), dict) else {}
        after = info.get("endCursor") if isinstance(info, dict) else None
        if older_seen or not (isinstance(info, dict) and info.get("hasNextPage")) or not after:
            break
    if reader.cut_short:
        why = (
            "no further pages of comments after a failed request"
            if reader.failed
            else f"at most {MAX_FOLLOW_UPS} further pages of comments"
        )
        result.warnings.append(
            f"github discussions: {reader.cut_short} long threads not read to the end "
            f"(a crawl asks for {why})"
        )
    return result


def _graphql_error(data: Any) -> str | None:
    """The first error's message: GraphQL reports problems (no such repository, discussions
    disabled, a rate limit) in `errors`, with a 200."""
    errors = data.get("errors") if isinstance(data, dict) else None
    if not errors:
        return None
    first = errors[0] if isinstance(errors, list) else errors
    return str(first.get("message") if isinstance(first, dict) else first)


def _connection(raw: bytes, endpoint: str, warnings: list[str]) -> dict[str, Any] | None:
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ParseError(f"github GraphQL answered with malformed JSON: {exc}", endpoint) from exc
    message = _graphql_error(data)
    if message is not None:
        warnings.append(f"github discussions not read: {message}")
        return None
    repository = _dig(data, "data", "repository")
    if repository is None and isinstance(_dig(data, "data"), dict):
        warnings.append("github discussions not read: no such repository")
        return None
    connection = _dig(repository, "discussions")
    if not isinstance(connection, dict):
        raise ParseError("github GraphQL answer has no data.repository.discussions", endpoint)
    return connection


def _posts(
    node: dict[str, Any], repo: str, community: str, reader: _Reader | None = None
) -> Iterator[Post]:
    """The discussion and its comments and replies; without a reader, only those in `node`."""
    number = node.get("number")
    if not isinstance(number, int):
        return
    thread_id = f"{repo}#{number}"
    thread_url = _text(node.get("url")) or f"https://github.com/{repo}/discussions/{number}"
    yield Post(
        source="github",
        external_id=thread_id,
        text=normalise_whitespace(_text(node.get("bodyText") or node.get("body")) or ""),
        url=thread_url,
        thread_url=thread_url,
        author=_login(node),
        author_url=_author_url(node),
        title=normalise_whitespace(_text(node.get("title")) or "") or None,
        published=from_iso(node.get("createdAt")),
        community=community,
    )
    thread = _Thread(thread_id, thread_url, community)
    yield from thread.comment(node.get("answer"), thread_id)
    comments = node.get("comments")
    while isinstance(comments, dict):
        for comment in _nodes(comments):
            yield from thread.comment(comment, thread_id)
            replies = comment.get("replies")
            while isinstance(replies, dict):
                for reply in _nodes(replies):
                    yield from thread.comment(reply, f"{thread_id}/{comment.get('id')}")
                replies = _next(reader, MORE_REPLIES, comment.get("id"), replies, "replies")
        comments = _next(reader, MORE_COMMENTS, node.get("id"), comments, "comments")


@dataclass
class _Thread:
    """One discussion's comments and replies as posts, each once."""

    thread_id: str
    thread_url: str
    community: str
    seen: set[str] = field(default_factory=set)

    def comment(self, comment: Any, parent_id: str) -> Iterator[Post]:
        if not isinstance(comment, dict) or not isinstance(comment.get("id"), str):
            return
        text = _text(comment.get("bodyText") or comment.get("body"))
        if comment["id"] in self.seen or text is None:
            return  # the answer is also among the comments; an id alone has nothing to read
        self.seen.add(comment["id"])
        yield Post(
            source="github",
            external_id=f"{self.thread_id}/{comment['id']}",
            text=normalise_whitespace(text),
            url=_text(comment.get("url")) or self.thread_url,
            thread_url=self.thread_url,
            parent_id=parent_id,
            author=_login(comment),
            author_url=_author_url(comment),
            published=from_iso(comment.get("createdAt")),
            community=self.community,
        )


def _nodes(connection: dict[str, Any]) -> list[dict[str, Any]]:
    nodes = connection.get("nodes")
    return [n for n in nodes if isinstance(n, dict)] if isinstance(nodes, list) else []


def _next(
    reader: _Reader | None, query: str, node_id: Any, connection: dict[str, Any], key: str
) -> dict[str, Any] | None:
    """The connection's next page when it has one (and a reader to ask), else None."""
    info = connection.get("pageInfo")
    if reader is None or not (isinstance(info, dict) and info.get("hasNextPage")):
        return None
    return reader.more(query, node_id, info.get("endCursor"), key)


def _dig(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _login(node: dict[str, Any]) -> str | None:
    return _text(_dig(node, "author", "login"))


def _author_url(node: dict[str, Any]) -> str | None:
    login = _login(node)
    return _text(_dig(node, "author", "url")) or (f"https://github.com/{login}" if login else None)
