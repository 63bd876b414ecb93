"""Discourse forums through their JSON API: latest topics, a category, a search, or one topic."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

from sources.errors import HttpStatusError, SourceConfigError
from sources.http import HttpClient
from sources.jsonapi import (
    as_list,
    backfill_start,
    check_backfill,
    check_url,
    dump_position,
    expect_dict,
    from_iso,
    get_json,
    load_position,
    text_or_none,
    with_query,
)
from sources.records import Cursor, FetchResult, Post
from sources.text import html_to_text, normalise_whitespace

MAX_TOPICS_REMEMBERED = 1000
_TOPIC_PATH = re.compile(r"^(?P<root>.*?)/t/(?:(?P<slug>[^/]+)/)?(?P<id>\d+)(?:/\d+)?/?$")


@dataclass(frozen=True)
class DiscourseSource:
    """A Discourse forum: its latest topics, one category, a search, or one topic."""

    kind: ClassVar[str] = "discourse"

    url: str  # the forum's base URL, e.g. https://meta.discourse.org
    category: str | None = None  # a category slug ("support") or "slug/id"
    search: str | None = None  # a search query instead of the latest topics
    topic: int | None = None  # one topic id: its posts only
    backfill_days: int = 7  # the first crawl skips posts older than this (0: no limit)
    max_topics: int = 30  # topics read per crawl
    chunk_size: int = 20  # post ids per /t/ID/posts.json request
    community: str | None = None  # label; default: the forum's host

    def __post_init__(self) -> None:
        check_url(self.url, "discourse url")
        check_backfill(self.backfill_days, self.kind)
        chosen = [x for x in (self.category, self.search, self.topic) if x is not None]
        if len(chosen) > 1:
            raise SourceConfigError("discourse takes at most one of category, search or topic")
        if self.chunk_size < 1 or self.max_topics < 1:
            raise SourceConfigError("discourse chunk_size and max_topics must be at least 1")

    @classmethod
    def for_target(cls, target: str, base_url: str | None) -> DiscourseSource:
        match = _TOPIC_PATH.match(urlsplit(target).path) if "://" in target else None
        if match:
            parts = urlsplit(target)
            root = base_url or f"{parts.scheme}://{parts.netloc}{match['root']}"
            return cls(url=root, topic=int(match["id"]), backfill_days=0)
        if target.startswith("search:"):
            return cls(url=base_url or "", search=target.removeprefix("search:"), backfill_days=0)
        return cls(url=base_url or target, backfill_days=0)

    @property
    def root(self) -> str:
        return self.url.rstrip("/")

    def fetch(self, http: HttpClient, cursor: Cursor) -> FetchResult:
        # The cursor: per topic, the highest post number and post id read; post ids only grow,
        # so a topic's stream ids above the last one read are exactly its new posts.
        state = load_position(cursor.position)
        seen: dict[str, list[int]] = {
            k: v
            for k, v in (state.get("topics") or {}).items()
            if isinstance(v, list) and len(v) == 2 and all(isinstance(x, int) for x in v)
        }
        oldest = state.get("since")
        if not isinstance(oldest, int | float):
            oldest = backfill_start(http.clock.now(), self.backfill_days)
        posts: list[Post] = []
        warnings: list[str] = []
        for topic_id, highest in self._topics(http)[: self.max_topics]:
            known_number, known_id = seen.get(str(topic_id), [0, 0])
            if highest is not None and highest <= known_number:
                continue  # nothing new in this topic: no request
            try:
                new = self._topic_posts(http, topic_id, known_id)
            except HttpStatusError as exc:
                if exc.status not in (403, 404, 410):
                    raise
                warnings.append(f"topic {topic_id} is gone or private (HTTP {exc.status})")
                continue
            new = [p for p in new if int(p.external_id) > known_id]
            numbers = [_number(p) for p in new]
            ids = [int(p.external_id) for p in new]
            seen[str(topic_id)] = [max([known_number, *numbers]), max([known_id, *ids])]
            posts.extend(p for p in new if not p.published or p.published.timestamp() >= oldest)
        if len(seen) > MAX_TOPICS_REMEMBERED:  # keep the cursor small: the liveliest topics
            kept = sorted(seen.items(), key=lambda item: item[1][1])[-MAX_TOPICS_REMEMBERED:]
            seen = dict(kept)
        return FetchResult(
            posts=tuple(posts),
            cursor=Cursor(position=dump_position({"topics": seen, "since": 0})),
            warnings=tuple(warnings),
        )

    def recheck(self, http: HttpClient, external_ids: Sequence[str]) -> set[str]:
        """Posts that answer 404/410 (deleted, or their topic is) or carry deleted_at."""
        gone = set()
        for ident in external_ids:
            try:
                post = get_json(http, f"{self.root}/posts/{ident}.json")
            except HttpStatusError as exc:
                if exc.status not in (403, 404, 410):
                    raise
                gone.add(ident)
                continue
            if isinstance(post, dict) and (post.get("deleted_at") or post.get("user_deleted")):
                gone.add(ident)
        return gone

    def _topics(self, http: HttpClient) -> list[tuple[int, int | None]]:
        """(topic id, highest post number if the listing says) for every topic to look at."""
        if self.topic is not None:
            return [(self.topic, None)]
        if self.search is not None:
            url = with_query(f"{self.root}/search.json", {"q": self.search})
            return _search_topics(get_json(http, url), url)
        path = f"/c/{self.category}/l/latest.json" if self.category else "/latest.json"
        url = f"{self.root}{path}"
        body = expect_dict(get_json(http, url), "a topic list", url)
        listing = expect_dict(body.get("topic_list"), "topic_list", url)
        return _listed_topics(listing.get("topics"))

    def _topic_posts(self, http: HttpClient, topic_id: int, known_id: int = 0) -> list[Post]:
        """Every post of a topic: the first page, then the rest of post_stream.stream in chunks."""
        url = f"{self.root}/t/{topic_id}.json"
        topic = expect_dict(get_json(http, url), "a topic", url)
        stream = expect_dict(topic.get("post_stream") or {}, "post_stream", url)
        raw = [p for p in as_list(stream.get("posts")) if isinstance(p, dict)]
        have = {p.get("id") for p in raw}
        rest = [
            i
            for i in as_list(stream.get("stream"))
            if isinstance(i, int) and i not in have and i > known_id
        ]
        for start in range(0, len(rest), self.chunk_size):
            chunk = rest[start : start + self.chunk_size]
            more_url = with_query(f"{self.root}/t/{topic_id}/posts.json", {"post_ids[]": chunk})
            more = expect_dict(get_json(http, more_url), "topic posts", more_url)
            more_stream = expect_dict(more.get("post_stream") or {}, "post_stream", more_url)
            raw.extend(p for p in as_list(more_stream.get("posts")) if isinstance(p, dict))
        by_number = {p.get("post_number"): p.get("id") for p in raw}
        topic_id = topic["id"] if isinstance(topic.get("id"), int) else topic_id
        title = normalise_whitespace(str(topic.get("title") or "")) or None
        slug = text_or_none(topic.get("slug")) or "-"
        community = self.community or urlsplit(self.root).netloc
        posts = []
        for item in raw:
            post = self._post(item, topic_id, slug, title, by_number, community)
            if post is not None:
                posts.append(post)
        return posts

    def _post(
        self,
        item: dict[str, Any],
        topic_id: int,
        slug: str,
        title: str | None,
        by_number: dict[Any, Any],
        community: str,
    ) -> Post | None:
        post_id, number = item.get("id"), item.get("post_number")
        if not isinstance(post_id, int) or not isinstance(number, int):
            return None
        if item.get("deleted_at") or item.get("hidden") or item.get("post_type", 1) != 1:
            return None  # deleted, hidden, or a moderator action / whisper: not a post
        reply_to = item.get("reply_to_post_number")
        parent = by_number.get(reply_to) if reply_to else by_number.get(1) if number > 1 else None
        username = text_or_none(item.get("username"))
        thread = f"{self.root}/t/{slug}/{topic_id}"
        return Post(
            source=self.kind,
            external_id=str(post_id),
            text=html_to_text(item["cooked"]) if isinstance(item.get("cooked"), str) else "",
            url=f"{thread}/{number}",
            thread_url=thread,
            parent_id=str(parent) if parent else None,
            author=username,
            author_url=f"{self.root}/u/{quote(username)}" if username else None,
            title=title if number == 1 else None,
            published=from_iso(item.get("created_at")),
            community=community,
        )


def _number(post: Post) -> int:
    return int((post.url or "0").rsplit("/", 1)[-1])


def _search_topics(body: Any, url: str) -> list[tuple[int, int | None]]:
    """Topic ids from /search.json: the current {"topics": [...]} or the old grouped list."""
    found: list[tuple[int, int | None]] = []
    if isinstance(body, dict):
        return _listed_topics(body.get("topics"))
    for group in as_list(body):
        if isinstance(group, dict) and group.get("type") == "topic":
            for result in as_list(group.get("results")):
                ident = result.get("id") if isinstance(result, dict) else None
                if isinstance(ident, int) and (ident, None) not in found:
                    found.append((ident, None))
    if not isinstance(body, list):
        expect_dict(body, "a search result", url)
    return found


def _listed_topics(topics: Any) -> list[tuple[int, int | None]]:
    """(id, highest post number) per topic of a listing, each topic once, in listing order."""
    found: dict[int, int | None] = {}
    for topic in as_list(topics):
        if isinstance(topic, dict) and isinstance(topic.get("id"), int):
            highest = topic.get("highest_post_number")
            highest = highest if isinstance(highest, int) else None
            previous = found.get(topic["id"])
            found[topic["id"]] = max(previous or 0, highest or 0) or None
    return list(found.items())
