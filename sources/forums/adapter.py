"""HTML forum threads: every post of a thread page, following next-page links, robots.txt first."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

from sources.errors import ParseError, SourceConfigError, SourceError
from sources.forums.extract import Page, PagePost, parse_page
from sources.forums.presets import PRESETS, Preset, preset_names
from sources.http import HttpClient
from sources.records import Cursor, FetchResult, Post
from sources.robots import ROBOTS, RobotsDisallowedError

_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"


@dataclass(frozen=True)
class ForumSource:
    """One thread of a phpBB, vBulletin, XenForo, NodeBB, Discourse or Askbot board (or any)."""

    kind: ClassVar[str] = "forum"

    url: str
    preset: str | None = None
    community: str | None = None
    max_pages: int = 5  # pages read per crawl: a 300-page thread is read over several rounds
    backfill_days: int | None = None
    # Any other board: CSS selectors (post container, body, author, time, next page...).
    post_selector: str | None = None
    body_selector: str | None = None
    author_selector: str | None = None
    time_selector: str | None = None
    id_attribute: str | None = None
    permalink_selector: str | None = None
    next_selector: str | None = None
    strip_selector: str | None = None

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise SourceConfigError(
                f"forum url must be a thread URL (http:// or https://), got {self.url!r}"
            )
        if self.preset is not None and self.preset not in PRESETS:
            raise SourceConfigError(
                f"unknown forum preset {self.preset!r}; known: {preset_names()}"
            )
        if self.post_selector and not (self.body_selector and self.author_selector):
            raise SourceConfigError(
                "forum post_selector needs body_selector and author_selector as well"
            )
        if self.max_pages < 1:
            raise SourceConfigError(f"forum max_pages must be at least 1, got {self.max_pages}")

    @classmethod
    def for_target(cls, target: str, base_url: str | None) -> ForumSource:
        from urllib.parse import urljoin

        return cls(url=urljoin(base_url, target) if base_url else target)

    def with_preset(self, preset: str | None) -> ForumSource:
        """The same source with the board software forced (`signals fetch --preset`)."""
        return ForumSource(**{**self.__dict__, "preset": preset})

    def fetch(self, http: HttpClient, cursor: Cursor) -> FetchResult:
        state = _State.load(cursor.position)
        # Posts newer than the last crawl's newest are new; ids only grow within a thread.
        previous = _State(last_id=state.last_id)
        yielded: set[str] = set()
        start = state.page_url or self.url
        host = urlsplit(self.url).netloc
        cutoff = (
            datetime.now(UTC) - timedelta(days=self.backfill_days) if self.backfill_days else None
        )
        posts: list[Post] = []
        warnings: list[str] = []
        url: str | None = start
        visited: set[str] = set()
        etag, last_modified = cursor.etag, cursor.last_modified
        page_url = start
        preset = self._preset()
        for _ in range(self.max_pages):
            if url is None or url in visited:
                break
            if urlsplit(url).netloc != host:
                warnings.append(f"next-page link leaves the board, not followed: {url}")
                break
            try:
                ROBOTS.check(http, url)
            except RobotsDisallowedError:
                if url == start:
                    raise
                warnings.append(f"robots.txt disallows {url}; stopped there")
                break
            visited.add(url)
            try:
                response = http.get(
                    url,
                    headers={"Accept": _ACCEPT},
                    # Validators belong to the page the cursor points at; only it uses them.
                    etag=etag if url == start else None,
                    last_modified=last_modified if url == start else None,
                )
                if response.not_modified:
                    return FetchResult(posts=(), cursor=cursor, not_modified=True)
                page = parse_page(response.body, url, preset)
            except SourceError as exc:
                if url == start:
                    raise
                # Keep the pages already read; the cursor stays on the last good one.
                warnings.append(f"page not read, stopped there: {exc}")
                break
            page_url = url
            etag, last_modified = response.etag, response.last_modified
            # A thread does not change software between pages: keep what page one showed.
            preset = preset or PRESETS.get(page.preset)
            if state.first_id is None and url == self.url:
                state.first_id = page.posts[0].post_id
            for item in page.posts:
                if item.post_id in yielded or not previous.is_new(item.post_id):
                    continue
                yielded.add(item.post_id)
                state.seen(item.post_id)
                if cutoff is None or item.published is None or item.published >= cutoff:
                    posts.append(self._post(item, page, state.first_id))
            url = page.next_url
        state.page_url = page_url
        return FetchResult(
            posts=tuple(posts),
            cursor=Cursor(etag=etag, last_modified=last_modified, position=state.dump()),
            warnings=tuple(warnings),
        )

    def _preset(self) -> Preset | None:
        if self.post_selector and self.body_selector and self.author_selector:
            return Preset(
                name="custom",
                post=self.post_selector,
                body=self.body_selector,
                author=self.author_selector,
                time=self.time_selector or "time[datetime]",
                post_id_attribute=self.id_attribute or "id",
                permalink=self.permalink_selector,
                next_page=self.next_selector or "link[rel=next], a[rel=next]",
                strip=self.strip_selector,
            )
        return PRESETS[self.preset] if self.preset else None

    def _post(self, item: PagePost, page: Page, first_id: str | None) -> Post:
        is_first = item.post_id == first_id
        return Post(
            source=self.kind,
            external_id=item.post_id,
            text=item.text,
            url=item.url,
            thread_url=self.url,
            parent_id=item.parent_id or (None if is_first else first_id),
            author=item.author,
            author_url=item.author_url,
            title=page.title if is_first else None,
            published=item.published,
            community=self.community or page.site_name,
        )


@dataclass
class _State:
    """The crawl position: the last page read, the newest post id, the thread's first post."""

    page_url: str | None = None
    last_id: str | None = None
    first_id: str | None = None

    @classmethod
    def load(cls, position: str | None) -> _State:
        if not position:
            return cls()
        try:
            data: Any = json.loads(position)
            return cls(data.get("page"), data.get("last_id"), data.get("first_id"))
        except (ValueError, AttributeError) as exc:
            raise ParseError(f"stored forum cursor is unreadable: {exc}") from exc

    def dump(self) -> str:
        return json.dumps(
            {"page": self.page_url, "last_id": self.last_id, "first_id": self.first_id}
        )

    def is_new(self, post_id: str) -> bool:
        if self.last_id is None:
            return True
        if post_id.isdigit() and self.last_id.isdigit():
            return int(post_id) > int(self.last_id)
        return post_id != self.last_id

    def seen(self, post_id: str) -> None:
        """Remember post_id if it is the newest so far."""
        if self.is_new(post_id):
            self.last_id = post_id
