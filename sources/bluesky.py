"""Bluesky: app.bsky.feed.searchPosts on the public AppView, windowed by since/until."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlencode

from sources.errors import ParseError, SourceConfigError
from sources.http import HttpClient
from sources.records import Cursor, FetchResult, Post
from sources.text import normalise_whitespace

DEFAULT_API = "https://public.api.bsky.app"
_SEARCH = "/xrpc/app.bsky.feed.searchPosts"
_WEB = "https://bsky.app"


@dataclass(frozen=True)
class BlueskySource:
    """Posts matching a search query, newest first, read again only after the last one seen."""

    kind: ClassVar[str] = "bluesky"

    query: str
    base_url: str = DEFAULT_API
    lang: str | None = None
    until: str | None = None  # ISO date or datetime: the end of the window, exclusive
    limit: int = 100
    max_pages: int = 5
    backfill_days: int | None = 7
    community: str | None = None

    def __post_init__(self) -> None:
        if not self.query.strip():
            raise SourceConfigError("bluesky query must not be empty")
        if not self.base_url.startswith(("http://", "https://")):
            raise SourceConfigError(
                f"bluesky base_url must be an AppView URL such as {DEFAULT_API}, "
                f"got {self.base_url!r}"
            )
        if not 1 <= self.limit <= 100:
            raise SourceConfigError(f"bluesky limit must be 1..100, got {self.limit}")

    @classmethod
    def for_target(cls, target: str, base_url: str | None) -> BlueskySource:
        # `signals fetch` shows what the search holds, however old; crawls use backfill_days.
        return cls(query=target, base_url=base_url or DEFAULT_API, backfill_days=None)

    def fetch(self, http: HttpClient, cursor: Cursor) -> FetchResult:
        since = cursor.position or self._backfill_start()
        params: dict[str, str | int] = {"q": self.query, "sort": "latest", "limit": self.limit}
        if since:
            params["since"] = since
        if self.until:
            params["until"] = self.until
        if self.lang:
            params["lang"] = self.lang
        posts: dict[str, Post] = {}
        page_cursor: str | None = None
        for _ in range(self.max_pages):
            query = {**params, **({"cursor": page_cursor} if page_cursor else {})}
            url = f"{self.base_url.rstrip('/')}{_SEARCH}?{urlencode(query)}"
            data = _json(http.get(url, headers={"Accept": "application/json"}).body, url)
            views = data.get("posts")
            if not isinstance(views, list):
                raise ParseError("bluesky searchPosts answer has no posts list", url)
            for view in views:
                post = self._post(view)
                if post is not None:
                    posts.setdefault(post.external_id, post)
            page_cursor = data.get("cursor") if isinstance(data.get("cursor"), str) else None
            if not views or not page_cursor:
                break
        start = _time(since)
        # A server that ignores `since` must not make old posts look new (or move the cursor back).
        kept = [p for p in posts.values() if not (start and p.published and p.published < start)]
        kept.sort(key=lambda p: p.published or datetime.min.replace(tzinfo=UTC))
        newest = max((p.published for p in kept if p.published), default=None)
        # `since` is inclusive: the next window starts just after the newest post seen.
        position = _iso(newest + timedelta(milliseconds=1)) if newest else cursor.position
        return FetchResult(posts=tuple(kept), cursor=Cursor(position=position))

    def _backfill_start(self) -> str | None:
        if not self.backfill_days:
            return None
        return _iso(datetime.now(UTC) - timedelta(days=self.backfill_days))

    def _post(self, view: Any) -> Post | None:
        if not isinstance(view, dict) or not isinstance(view.get("uri"), str):
            return None
        record = _obj(view.get("record"))
        author = _obj(view.get("author"))
        handle = author.get("handle") or author.get("did")
        reply = _obj(record.get("reply"))
        root_uri = _obj(reply.get("root")).get("uri")
        parent_uri = _obj(reply.get("parent")).get("uri")
        url = web_url(view["uri"], handle)
        return Post(
            source=self.kind,
            external_id=view["uri"],
            text=normalise_whitespace(str(record.get("text") or "")),
            url=url,
            thread_url=web_url(root_uri) if root_uri else url,
            parent_id=parent_uri,
            author=handle,
            author_url=f"{_WEB}/profile/{handle}" if handle else None,
            published=_time(record.get("createdAt") or view.get("indexedAt")),
            community=self.community or f"bluesky search: {self.query}",
        )


def web_url(at_uri: str, handle: str | None = None) -> str | None:
    """https://bsky.app/profile/HANDLE/post/RKEY for at://DID/app.bsky.feed.post/RKEY."""
    parts = at_uri.removeprefix("at://").split("/")
    if len(parts) != 3 or parts[1] != "app.bsky.feed.post":
        return None
    return f"{_WEB}/profile/{handle or parts[0]}/post/{parts[2]}"


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _json(body: bytes, url: str) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise ParseError(f"bluesky answered with malformed JSON: {exc}", url) from exc
    if not isinstance(data, dict):
        raise ParseError("bluesky answered with something other than a JSON object", url)
    return data


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
