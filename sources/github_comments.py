"""GitHub issue comments (REST): a repository's comments updated since a mark, oldest first."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sources.errors import ParseError, SourceError
from sources.jsonapi import from_iso
from sources.jsonreader import JsonReader
from sources.records import Post
from sources.text import normalise_whitespace

_LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="next"')


def next_page(link_header: str) -> str | None:
    """The `rel="next"` address of a GitHub `Link` header, if any."""
    match = _LINK_NEXT.search(link_header)
    return match.group(1) if match else None


@dataclass
class CommentPage:
    """What the comment pages of one crawl gave: posts, the newest updated_at, warnings."""

    posts: list[Post] = field(default_factory=list)
    newest: datetime | None = None
    warnings: list[str] = field(default_factory=list)


def comments_url(base_url: str, repo: str, since: str | None, per_page: int) -> str:
    """`GET /repos/{repo}/issues/comments`, least recently updated first, from `since` on."""
    params: dict[str, str | int] = {"sort": "updated", "direction": "asc", "per_page": per_page}
    if since:
        params["since"] = since
    return f"{base_url.rstrip('/')}/repos/{repo}/issues/comments?{urlencode(params)}"


def read_comments(
    reader: JsonReader,
    url: str,
    repo: str,
    *,
    max_pages: int,
    include_pull_requests: bool,
    community: str,
) -> CommentPage:
    """Follow `Link: rel="next"` from url; a failed page ends the reading with a warning."""
    result = CommentPage()
    next_url: str | None = url
    for _ in range(max_pages):
        if next_url is None or reader.stopped:
            break
        try:
            response, data = reader.get(next_url)
            if not isinstance(data, list):
                raise ParseError("github answered with something other than a list", next_url)
        except SourceError as exc:
            # Keep the issues and earlier pages; the mark stays before this page: asked again.
            result.warnings.append(f"github issue comments not read: {exc}")
            break
        for comment in data:
            if not isinstance(comment, dict):
                continue
            updated = from_iso(comment.get("updated_at"))
            if updated and (result.newest is None or updated > result.newest):
                result.newest = updated
            if not include_pull_requests and _on_pull_request(comment):
                continue
            post = _post(comment, repo, community)
            if post:
                result.posts.append(post)
        next_url = next_page(response.headers.get("link", ""))
    return result


def _on_pull_request(comment: dict[str, Any]) -> bool:
    # The endpoint lists pull request comments too; only their html_url tells them apart.
    return "/pull/" in str(comment.get("html_url") or "")


def _post(comment: dict[str, Any], repo: str, community: str) -> Post | None:
    """The comment as a reply to its issue; None without an id, an issue or a body."""
    number = str(comment.get("issue_url") or "").rstrip("/").rsplit("/", 1)[-1]
    text = normalise_whitespace(str(comment.get("body") or ""))
    if not (number.isdigit() and comment.get("id") is not None and text):
        return None
    html_url = comment.get("html_url") if isinstance(comment.get("html_url"), str) else None
    # html_url is the comment's anchor in the thread (`#issuecomment-ID`); old answers lack it.
    thread_url = html_url.split("#", 1)[0] if html_url else None
    thread_url = thread_url or f"https://github.com/{repo}/issues/{number}"
    user = comment.get("user") if isinstance(comment.get("user"), dict) else {}
    login = user.get("login") if isinstance(user, dict) else None
    return Post(
        source="github",
        external_id=f"{repo}#{number}/comment-{comment['id']}",
        text=text,
        url=html_url or thread_url,
        thread_url=thread_url,
        parent_id=f"{repo}#{number}",
        author=login,
        author_url=(user.get("html_url") if isinstance(user, dict) else None)
        or (f"https://github.com/{login}" if login else None),
        published=from_iso(comment.get("created_at")),
        community=community,
    )
