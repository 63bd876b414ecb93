"""Identity resolution: a post's author becomes an identity (platform + handle) of one contact."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from signals.store import models as db

# Hosts whose handles are one namespace, whatever feed or API the post came through.
_PLATFORM_HOSTS = {
    "reddit.com": "reddit",
    "news.ycombinator.com": "hackernews",
    "stackoverflow.com": "stackoverflow",
    "github.com": "github",
    "bsky.app": "bluesky",
}


def platform_for(url: str | None, source_kind: str) -> str:
    """The namespace an author handle lives in: a known service, else the site's host."""
    host = (urlsplit(url).hostname or "") if url else ""
    host = host.removeprefix("www.").removeprefix("old.")
    for suffix, platform in _PLATFORM_HOSTS.items():
        if host == suffix or host.endswith("." + suffix):
            return platform
    if host.endswith(".stackexchange.com"):
        return host.removesuffix(".stackexchange.com") + ".stackexchange"
    return host or source_kind


def normalise_handle(platform: str, handle: str) -> str:
    """One spelling per handle: Reddit feeds write "/u/name", its API writes "name"."""
    handle = handle.strip()
    if platform == "reddit":
        handle = handle.removeprefix("/").removeprefix("u/")
    return handle


@dataclass(frozen=True)
class Author:
    """Who wrote a post, as the identity key and what we show for them."""

    platform: str
    handle: str
    profile_url: str | None


def resolve_identities(
    session: Session, authors: Iterable[Author]
) -> dict[tuple[str, str], db.Identity]:
    """The identity of each author, creating a contact and identity for first-time authors.

    Never merges two handles: a new handle gets its own contact (merging needs evidence).
    """
    wanted = {(a.platform, a.handle): a for a in authors}
    if not wanted:
        return {}
    found = _existing(session, list(wanted))
    # In the order the authors came (post order): contact ids as one post at a time gives them.
    missing = [author for key, author in wanted.items() if key not in found]
    contacts = [db.Contact(display_name=author.handle) for author in missing]
    session.add_all(contacts)
    session.flush()  # one batched INSERT ... RETURNING for the new contacts' ids
    for author, contact in zip(missing, contacts, strict=True):
        assert contact.id is not None
        identity = db.Identity(
            contact_id=contact.id,
            platform=author.platform,
            handle=author.handle,
            profile_url=author.profile_url,
        )
        session.add(identity)
        found[(author.platform, author.handle)] = identity
    session.flush()
    return found


def _existing(
    session: Session, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], db.Identity]:
    found: dict[tuple[str, str], db.Identity] = {}
    for start in range(0, len(keys), 400):
        chunk = keys[start : start + 400]
        statement = select(db.Identity).where(
            tuple_(db.Identity.platform, db.Identity.handle).in_(chunk)
        )
        for identity in session.scalars(statement):
            found[(identity.platform, identity.handle)] = identity
    return found
