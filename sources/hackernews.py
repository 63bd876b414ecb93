"""Hacker News: Algolia search_by_date for queries, Firebase items for a story's comment tree."""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from sources.errors import HttpStatusError, SourceConfigError
from sources.http import HttpClient
from sources.jsonapi import (
    as_list,
    backfill_start,
    check_backfill,
    check_url,
    dump_position,
    expect_dict,
    from_epoch,
    get_json,
    load_position,
    replace_roots,
    text_or_none,
    with_query,
)
from sources.records import Cursor, FetchResult, Post
from sources.text import html_to_text

SITE = "https://news.ycombinator.com"


@dataclass(frozen=True)
class HackerNewsSource:
    """Stories and comments matching a query, or one story with its whole comment tree."""

    kind: ClassVar[str] = "hackernews"

    query: str | None = None
    item: int | None = None  # a story (or comment) id: it and everything below it
    tags: str = "(story,comment)"  # Algolia tags filter for queries
    backfill_days: int = 7  # how far back the first crawl of a query reaches
    max_pages: int = 5  # Algolia pages (100 hits each) per crawl
    max_items: int = 1000  # items read from one thread
    api_url: str = "https://hn.algolia.com/api/v1"
    items_url: str = "https://hacker-news.firebaseio.com/v0"
    community: str = "Hacker News"

    def __post_init__(self) -> None:
        if (self.query is None) == (self.item is None):
            raise SourceConfigError('hackernews needs exactly one of query = "..." or item = ID')
        check_backfill(self.backfill_days, self.kind)
        check_url(self.api_url, "hackernews api_url")
        check_url(self.items_url, "hackernews items_url")

    @classmethod
    def for_target(cls, target: str, base_url: str | None) -> HackerNewsSource:
        # A preview (`signals fetch`) shows all the service returns: no backfill limit.
        preview = replace_roots(
            cls(query="-", backfill_days=0), api_url=base_url, items_url=base_url
        )
        if target.startswith("item:"):
            number = target.removeprefix("item:")
            if not number.isdigit():
                raise SourceConfigError(f"hackernews item:ID needs a number, got {target!r}")
            return dataclasses.replace(preview, query=None, item=int(number))
        return dataclasses.replace(preview, query=target)

    def fetch(self, http: HttpClient, cursor: Cursor) -> FetchResult:
        state = load_position(cursor.position)
        if self.item is not None and "since" not in state:
            posts, warnings = self._thread(http)
        else:
            since = state.get("since")
            if not isinstance(since, int):
                since = backfill_start(http.clock.now(), self.backfill_days)
            posts, warnings = self._search(http, since)
        newest = max((int(p.published.timestamp()) for p in posts if p.published), default=None)
        since = state.get("since") if isinstance(state.get("since"), int) else None
        if newest is not None:
            since = max(newest, since or 0)
        elif since is None:
            since = int(http.clock.now())
        return FetchResult(
            posts=tuple(posts),
            cursor=Cursor(position=dump_position({"since": since})),
            warnings=tuple(warnings),
        )

    def recheck(self, http: HttpClient, external_ids: Sequence[str]) -> set[str]:
        """Items Firebase no longer has, or shows as deleted or dead."""
        gone = set()
        for ident in external_ids:
            try:
                item = get_json(http, f"{self.items_url.rstrip('/')}/item/{ident}.json")
            except HttpStatusError as exc:
                if exc.status not in (404, 410):
                    raise
                item = None
            if not isinstance(item, dict) or item.get("deleted") or item.get("dead"):
                gone.add(ident)
        return gone

    def _search(self, http: HttpClient, since: int) -> tuple[list[Post], list[str]]:
        """Hits newer than `since`, newest first, page by page."""
        tags = f"comment,story_{self.item}" if self.item is not None else self.tags
        posts: list[Post] = []
        for page in range(self.max_pages):
            url = with_query(
                f"{self.api_url.rstrip('/')}/search_by_date",
                {
                    "query": self.query,
                    "tags": tags,
                    "numericFilters": f"created_at_i>{since}",
                    "hitsPerPage": 100,
                    "page": page or None,
                },
            )
            body = expect_dict(get_json(http, url), "an Algolia search result", url)
            hits = as_list(body.get("hits"))
            posts.extend(p for p in (_hit_post(h, self.community) for h in hits) if p)
            pages = body.get("nbPages")
            if not isinstance(pages, int) or page + 1 >= pages:
                break
        return posts, []

    def _thread(self, http: HttpClient) -> tuple[list[Post], list[str]]:
        """The item and every reply below it, breadth first (Firebase: one request per item)."""
        root = self.items_url.rstrip("/")
        queue: deque[int] = deque([int(self.item or 0)])
        posts: list[Post] = []
        missing = 0
        story_id: int | None = None
        while queue and len(posts) < self.max_items:
            number = queue.popleft()
            try:
                item = get_json(http, f"{root}/item/{number}.json")
            except HttpStatusError as exc:
                if exc.status != 404:
                    raise
                item = None
            if not isinstance(item, dict):  # Firebase answers null for an unknown id
                missing += 1
                continue
            if story_id is None:
                story_id = _story_id(item)
            if not item.get("deleted") and not item.get("dead"):
                post = _item_post(item, story_id, self.community)
                if post is not None:
                    posts.append(post)
            queue.extend(kid for kid in as_list(item.get("kids")) if isinstance(kid, int))
        warnings = [f"{missing} items of the thread could not be read"] if missing else []
        if queue:
            warnings.append(f"thread cut at max_items={self.max_items}")
        return posts, warnings


def _story_id(item: dict[str, Any]) -> int | None:
    if item.get("type") in ("story", "poll", "job"):
        return item.get("id") if isinstance(item.get("id"), int) else None
    return None


def _hit_post(hit: Any, community: str) -> Post | None:
    if not isinstance(hit, dict) or not hit.get("objectID"):
        return None
    object_id = str(hit["objectID"])
    tags = as_list(hit.get("_tags"))
    is_comment = "comment" in tags or hit.get("comment_text")
    story_id = hit.get("story_id") or (None if is_comment else object_id)
    title = text_or_none(hit.get("title")) or text_or_none(hit.get("story_title"))
    body = hit.get("comment_text") if is_comment else hit.get("story_text")
    text = html_to_text(body) if isinstance(body, str) else ""
    author = text_or_none(hit.get("author"))
    parent = hit.get("parent_id")
    return Post(
        source=HackerNewsSource.kind,
        external_id=object_id,
        text=text or (title if not is_comment else "") or "",
        url=f"{SITE}/item?id={object_id}",
        thread_url=f"{SITE}/item?id={story_id}" if story_id else None,
        parent_id=str(parent) if is_comment and parent else None,
        author=author,
        author_url=f"{SITE}/user?id={author}" if author else None,
        title=None if is_comment else title,
        published=from_epoch(hit.get("created_at_i")),
        community=community,
    )


def _item_post(item: dict[str, Any], story_id: int | None, community: str) -> Post | None:
    number = item.get("id")
    if not isinstance(number, int):
        return None
    author = text_or_none(item.get("by"))
    title = text_or_none(item.get("title"))
    text = html_to_text(item["text"]) if isinstance(item.get("text"), str) else ""
    parent = item.get("parent")
    return Post(
        source=HackerNewsSource.kind,
        external_id=str(number),
        text=text or title or "",
        url=f"{SITE}/item?id={number}",
        thread_url=f"{SITE}/item?id={story_id or number}",
        parent_id=str(parent) if isinstance(parent, int) else None,
        author=author,
        author_url=f"{SITE}/user?id={author}" if author else None,
        title=title,
        published=from_epoch(item.get("time")),
        community=community,
    )
