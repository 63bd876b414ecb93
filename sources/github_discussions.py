"""GitHub discussions through the GraphQL API: newest activity first, with their comments."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sources.errors import ParseError, SourceError
from sources.http import HttpClient
from sources.records import Post
from sources.text import normalise_whitespace

# Most recently updated first, so a crawl stops paging at the first discussion it has seen.
QUERY = """
query Discussions($owner: String!, $repo: String!, $first: Int!, $after: String) {
  repository(owner: $owner, name: $repo) {
    discussions(first: $first, after: $after, orderBy: {field: UPDATED_AT, direction: DESC}) {
      pageInfo { endCursor hasNextPage }
      nodes {
        id number title url bodyText createdAt updatedAt
        author { login url }
        answer { id url bodyText createdAt author { login url } }
        comments(first: 50) {
          nodes { id url bodyText createdAt author { login url } replyTo { id } }
        }
      }
    }
  }
}
""".strip()


@dataclass
class DiscussionPage:
    """What the discussion pages of one crawl gave: posts, the newest updatedAt, warnings."""

    posts: list[Post] = field(default_factory=list)
    newest: datetime | None = None
    warnings: list[str] = field(default_factory=list)


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
            updated = _time(node.get("updatedAt"))
            if since is not None and updated is not None and updated <= since:
                older_seen = True  # ordered by activity: everything after this is older
                break
            if updated and (result.newest is None or updated > result.newest):
                result.newest = updated
            result.posts.extend(_posts(node, repo, community))
        info = connection.get("pageInfo") if isinstance(connection.get("pageInfo"), dict) else {}
        after = info.get("endCursor") if isinstance(info, dict) else None
        if older_seen or not (isinstance(info, dict) and info.get("hasNextPage")) or not after:
            break
    return result


def _connection(raw: bytes, endpoint: str, warnings: list[str]) -> dict[str, Any] | None:
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ParseError(f"github GraphQL answered with malformed JSON: {exc}", endpoint) from exc
    errors = data.get("errors") if isinstance(data, dict) else None
    if errors:
        # GraphQL reports problems (no such repository, discussions disabled) with a 200.
        first = errors[0] if isinstance(errors, list) and errors else errors
        message = first.get("message") if isinstance(first, dict) else str(first)
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


def _posts(node: dict[str, Any], repo: str, community: str) -> Iterator[Post]:
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
        published=_time(node.get("createdAt")),
        community=community,
    )
    comments = _dig(node, "comments", "nodes")
    seen: set[str] = set()
    for comment in [node.get("answer"), *(comments if isinstance(comments, list) else [])]:
        if not isinstance(comment, dict) or not isinstance(comment.get("id"), str):
            continue
        text = _text(comment.get("bodyText") or comment.get("body"))
        if comment["id"] in seen or text is None:
            continue  # the answer is also among the comments; an id alone has nothing to read
        seen.add(comment["id"])
        reply_to = _dig(comment, "replyTo", "id")
        yield Post(
            source="github",
            external_id=f"{thread_id}/{comment['id']}",
            text=normalise_whitespace(text),
            url=_text(comment.get("url")) or thread_url,
            thread_url=thread_url,
            parent_id=f"{thread_id}/{reply_to}" if isinstance(reply_to, str) else thread_id,
            author=_login(comment),
            author_url=_author_url(comment),
            published=_time(comment.get("createdAt")),
            community=community,
        )


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


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None
