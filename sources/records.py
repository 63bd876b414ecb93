"""Frozen records that adapters hand to the rest of the product."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Post:
    """One post, comment or reply as an adapter read it."""

    source: str
    external_id: str
    text: str
    url: str | None = None
    thread_url: str | None = None
    parent_id: str | None = None
    author: str | None = None
    author_url: str | None = None
    title: str | None = None
    published: datetime | None = None
    community: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The `signals fetch` JSON Lines shape (DESIGN.md)."""
        return {
            "source": self.source,
            "external_id": self.external_id,
            "url": self.url,
            "thread_url": self.thread_url,
            "parent_id": self.parent_id,
            "author": self.author,
            "author_url": self.author_url,
            "title": self.title,
            "text": self.text,
            "published": format_utc(self.published),
            "community": self.community,
        }


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where the last crawl of a source stopped: validators and an adapter-specific position."""

    etag: str | None = None
    last_modified: str | None = None
    position: str | None = None


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What one crawl of a source produced, and the cursor to store with it."""

    posts: tuple[Post, ...]
    cursor: Cursor
    not_modified: bool = False
    warnings: tuple[str, ...] = field(default_factory=tuple)


def format_utc(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z suffix, or None."""
    if moment is None:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
