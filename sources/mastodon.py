"""Mastodon: hashtag and public timelines, status search, and one status with its thread."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import quote, urlencode, urlsplit

from sources.errors import ParseError, SourceConfigError
from sources.http import HttpClient, Response
from sources.jsonreader import JsonReader
from sources.records import Cursor, FetchResult, Post
from sources.text import html_to_text

DEFAULT_INSTANCE = "https://mastodon.social"
_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?(\w+)"?')


@dataclass(frozen=True)
class MastodonSource:
    """One instance: `#tag`, `timeline:public`, `timeline:local`, `status:ID` or a query."""

    kind: ClassVar[str] = "mastodon"

    target: str
    base_url: str = DEFAULT_INSTANCE
    limit: int = 40  # statuses per request; Mastodon caps it at 40
    max_pages: int = 3
    backfill_days: int | None = None
    community: str | None = None
    max_rate_limit_wait: float = 60.0  # longer waits end the crawl with a warning instead

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("http://", "https://")):
            raise SourceConfigError(
                f"mastodon base_url must be the instance URL, e.g. {DEFAULT_INSTANCE}, "
                f"got {self.base_url!r}"
            )
        if not self.target.strip() or self.target.strip() in ("#", "status:"):
            raise SourceConfigError(
                "mastodon target must be #tag, timeline:public, timeline:local, status:ID "
                "or a search query"
            )
        if self.target.startswith("status:") and not self.target[7:].isdigit():
            raise SourceConfigError(f"mastodon status:ID needs a numeric id, got {self.target!r}")
        if not 1 <= self.limit <= 40:
            raise SourceConfigError(f"mastodon limit must be 1..40, got {self.limit}")

    @classmethod
    def for_target(cls, target: str, base_url: str | None) -> MastodonSource:
        return cls(target=target, base_url=base_url or DEFAULT_INSTANCE)

    def fetch(self, http: HttpClient, cursor: Cursor) -> FetchResult:
        if self.target.startswith("status:"):
            return self._thread(http, self.target[7:], cursor)
        reader = JsonReader(http, "mastodon", self.max_rate_limit_wait)
        since = cursor.position
        cutoff = (
            datetime.now(UTC) - timedelta(days=self.backfill_days) if self.backfill_days else None
        )
        url: str | None = self._first_url(since)
        statuses: dict[str, dict[str, Any]] = {}
        for _ in range(self.max_pages):
            if url is None or reader.stopped:
                break
            response, data = reader.get(url)
            page = data.get("statuses", []) if isinstance(data, dict) else data
            if not isinstance(page, list):
                raise ParseError("mastodon answered something other than a list of statuses", url)
            fresh = [s for s in map(_original, page) if s is not None and s["id"] not in statuses]
            statuses.update((s["id"], s) for s in fresh)
            if not fresh or len(page) < self.limit:
                break
            times = [t for t in map(_time, fresh) if t is not None]
            if cutoff and times and min(times) < cutoff:
                break  # reached statuses older than the backfill window
            # Without a cursor walk back in time (rel=next); with one, forward (rel=prev).
            url = _links(response).get("prev" if since else "next")
        posts = [self._post(s) for s in statuses.values()]
        if cutoff:
            posts = [p for p in posts if p.published is None or p.published >= cutoff]
        posts.sort(key=lambda p: int(p.external_id) if p.external_id.isdigit() else 0)
        newest = max((p.external_id for p in posts), key=_id_order, default=since)
        return FetchResult(
            posts=tuple(posts), cursor=Cursor(position=newest), warnings=tuple(reader.warnings)
        )

    def _first_url(self, since: str | None) -> str:
        base = self.base_url.rstrip("/")
        params: dict[str, str | int] = {"limit": self.limit}
        if since:
            params["min_id"] = since
        target = self.target.strip()
        if target.startswith("#"):
            path = f"/api/v1/timelines/tag/{quote(target[1:], safe='')}"
        elif target in ("timeline:public", "timeline:local"):
            path = "/api/v1/timelines/public"
            if target == "timeline:local":
                params["local"] = "true"
        else:
            path = "/api/v2/search"
            params = {"q": target, "type": "statuses", **params}
        return f"{base}{path}?{urlencode(params)}"

    def _thread(self, http: HttpClient, status_id: str, cursor: Cursor) -> FetchResult:
        reader = JsonReader(http, "mastodon", self.max_rate_limit_wait)
        base = self.base_url.rstrip("/")
        _, status = reader.get(f"{base}/api/v1/statuses/{status_id}")
        _, context = reader.get(f"{base}/api/v1/statuses/{status_id}/context")
        if not isinstance(status, dict) or not isinstance(context, dict):
            raise ParseError("mastodon status or context is not a JSON object", base)
        chain = [*context.get("ancestors", []), status, *context.get("descendants", [])]
        statuses = [s for s in chain if isinstance(s, dict) and "id" in s]
        root = statuses[0]
        root_url = root.get("url") or root.get("uri")
        seen = cursor.position
        posts = [
            self._post(s, thread_url=root_url)
            for s in statuses
            if seen is None or _id_order(str(s["id"])) > _id_order(seen)
        ]
        newest = max((str(s["id"]) for s in statuses), key=_id_order)
        return FetchResult(
            posts=tuple(posts), cursor=Cursor(position=newest), warnings=tuple(reader.warnings)
        )

    def _post(self, status: Mapping[str, Any], thread_url: str | None = None) -> Post:
        account = status.get("account") or {}
        text = html_to_text(str(status.get("content") or ""))
        warning = str(status.get("spoiler_text") or "").strip()
        url = status.get("url") or status.get("uri")
        reply_to = status.get("in_reply_to_id")
        return Post(
            source=self.kind,
            external_id=str(status["id"]),
            text=f"{warning}\n\n{text}".strip() if warning else text,
            url=url,
            thread_url=thread_url or (None if reply_to else url),
            parent_id=str(reply_to) if reply_to else None,
            author=account.get("acct") or account.get("username"),
            author_url=account.get("url"),
            published=_time(status),
            community=self.community or self._community(),
        )

    def _community(self) -> str:
        host = urlsplit(self.base_url).netloc
        target = self.target.strip()
        return f"{host} {target}" if target.startswith("#") else host


def _original(status: Any) -> dict[str, Any] | None:
    """The status itself, or the one it boosts; None for something that is not a status."""
    if not isinstance(status, dict) or "id" not in status:
        return None
    reblog = status.get("reblog")
    chosen = reblog if isinstance(reblog, dict) and "id" in reblog else status
    return {**chosen, "id": str(chosen["id"])}


def _time(status: Mapping[str, Any]) -> datetime | None:
    value = status.get("created_at")
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def _links(response: Response) -> dict[str, str]:
    return {rel: url for url, rel in _LINK.findall(response.headers.get("link", ""))}


def _id_order(status_id: str) -> tuple[int, str]:
    """Mastodon ids are numeric strings that grow with time (snowflake-like)."""
    return (len(status_id), status_id)
