"""RSS and Atom feeds: fetched by our HTTP client, parsed from bytes by feedparser."""

from __future__ import annotations

import calendar
import hashlib
import io
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import parse_qs, urljoin, urlsplit

import feedparser

from sources.errors import ParseError, SourceConfigError
from sources.http import HttpClient, Response
from sources.records import Cursor, FetchResult, Post
from sources.text import html_to_text, normalise_whitespace

_FEED_LINK = re.compile(
    rb"<link[^>]+type=[\"']application/(?:rss|atom)\+xml[\"'][^>]*>", re.IGNORECASE
)
_HREF = re.compile(rb"href=[\"']([^\"']+)[\"']", re.IGNORECASE)
_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1"
)


@dataclass(frozen=True)
class RssSource:
    """An RSS 0.9x/1.0/2.0 or Atom feed (blogs, Reddit .rss, Stack Overflow tags, Discourse)."""

    kind: ClassVar[str] = "rss"

    url: str
    community: str | None = None

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise SourceConfigError(
                f"rss url must start with http:// or https://, got {self.url!r}"
            )

    @classmethod
    def for_target(cls, target: str, base_url: str | None) -> RssSource:
        return cls(url=urljoin(base_url, target) if base_url else target)

    def fetch(self, http: HttpClient, cursor: Cursor) -> FetchResult:
        response = http.get(
            self.url,
            headers={"Accept": _ACCEPT},
            etag=cursor.etag,
            last_modified=cursor.last_modified,
        )
        if response.not_modified:
            return FetchResult(posts=(), cursor=cursor, not_modified=True)
        posts, warnings = parse_feed(response, community=self.community)
        new_cursor = Cursor(
            etag=response.etag,
            last_modified=response.last_modified,
            position=cursor.position,
        )
        return FetchResult(posts=posts, cursor=new_cursor, warnings=warnings)


def parse_feed(
    response: Response, community: str | None = None
) -> tuple[tuple[Post, ...], tuple[str, ...]]:
    """Posts of a feed body; ParseError when the body is not a feed at all."""
    # A file-like object: given bytes or str, feedparser may open a file or fetch a URL itself.
    parsed: Any = feedparser.parse(
        io.BytesIO(response.body),
        # No content-location: feedparser would resolve atom:id against it, and an id that
        # changes with the feed URL (Reddit's "t3_..." ids) would make the same post look new.
        response_headers={"content-type": response.content_type or "application/xml"},
        sanitize_html=False,
        resolve_relative_uris=False,  # the HTML is reduced to text; its links are not kept
    )
    entries = parsed.get("entries") or []
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if not entries and (problem is not None or not parsed.get("version")):
        raise ParseError(_not_a_feed_message(response, problem), response.url)
    feed_title = normalise_whitespace(html_to_text(parsed.feed.get("title", ""))) or None
    posts = tuple(_post(entry, community or feed_title, response.url) for entry in entries)
    warnings: tuple[str, ...] = ()
    if problem is not None:
        warnings = (f"feed is not well-formed ({problem}); {len(posts)} entries recovered",)
    return posts, warnings


def _not_a_feed_message(response: Response, problem: object) -> str:
    head = response.body[:2048].lstrip().lower()
    if "html" in response.content_type or head.startswith((b"<!doctype html", b"<html")):
        link = _FEED_LINK.search(response.body[:65536])
        href = _HREF.search(link.group(0)) if link else None
        hint = "; use the page's RSS/Atom feed URL instead"
        if href:
            feed_url = urljoin(response.url, href.group(1).decode(errors="replace"))
            hint = f"; the page links a feed at {feed_url}"
        return f"got an HTML page, not an RSS or Atom feed{hint}"
    if not response.body.strip():
        return "the feed is empty"
    detail = f": {problem}" if problem is not None else ""
    return f"not a well-formed RSS or Atom feed{detail}"


def _post(entry: Any, community: str | None, feed_url: str) -> Post:
    text = _entry_text(entry)
    title = normalise_whitespace(html_to_text(entry.get("title", ""))) or None
    link = unwrap_redirect(urljoin(feed_url, entry["link"])) if entry.get("link") else None
    reply_to = entry.get("thr_in-reply-to") or {}
    author = entry.get("author_detail") or {}
    return Post(
        source=RssSource.kind,
        external_id=entry.get("id") or _content_id(link, title, text),
        url=link,
        thread_url=reply_to.get("href") or link,
        parent_id=reply_to.get("ref") or None,
        author=author.get("name") or _bare_author(entry.get("author")),
        author_url=author.get("href") or None,
        title=title,
        text=text,
        published=_utc(entry.get("published_parsed") or entry.get("updated_parsed")),
        community=community,
    )


def unwrap_redirect(url: str) -> str:
    """The target of a Google redirect (Google Alerts' google.com/url?...&url=...), else url."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.path != "/url" or not (host == "google.com" or host.endswith(".google.com")):
        return url
    query = parse_qs(parts.query)
    # Alerts use url=; Google's older redirects used q=. Only an absolute http(s) target counts.
    target = (query.get("url") or query.get("q") or [""])[0]
    return target if target.startswith(("http://", "https://")) else url


def _entry_text(entry: Any) -> str:
    contents = entry.get("content") or []
    detail = contents[0] if contents else entry.get("summary_detail") or {}
    value = detail.get("value") or entry.get("summary") or ""
    if detail.get("type") == "text/plain":
        return normalise_whitespace(value)
    return html_to_text(value)


def _bare_author(author: str | None) -> str | None:
    """feedparser writes 'Name (email)'; keep the name only, never the address."""
    if not author:
        return None
    return re.sub(r"\s*\([^)]*@[^)]*\)\s*$", "", author).strip() or None


def _content_id(link: str | None, title: str | None, text: str) -> str:
    digest = hashlib.sha256("\x1f".join((link or "", title or "", text)).encode()).hexdigest()
    return f"sha256:{digest[:32]}"


def _utc(moment: time.struct_time | None) -> datetime | None:
    if moment is None:
        return None
    return datetime.fromtimestamp(calendar.timegm(moment), tz=UTC)
