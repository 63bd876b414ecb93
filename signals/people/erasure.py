"""Erasure and export of one person (`signals forget`, `signals export-person`).

Forgetting deletes the person's contact (and every contact merged into it), identities, posts
and what hangs off them (signals, activities, scores, stages, tasks, hints, events, queued
deliveries), then keeps only a salted SHA-256 of each identity and e-mail so that their posts
are never ingested again. The salt is made once per database and stays in it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, inspect, select, text
from sqlalchemy.orm import Session
from sqlmodel import col

from signals.errors import InputError
from signals.identity import normalise_handle, platform_for
from signals.store import models as db
from signals.store.models_people import ForgottenPerson, PeopleSecret

SALT = "forget-salt"


def _salt(session: Session) -> str:
    row = session.get(PeopleSecret, SALT)
    if row is None:
        row = PeopleSecret(name=SALT, value=secrets.token_hex(16))
        session.add(row)
        session.flush()
    return row.value


def digest(salt: str, key: str) -> str:
    """The salted hash kept for a forgotten identity ("platform:handle") or e-mail."""
    return hashlib.sha256(f"{salt}:{key.lower()}".encode()).hexdigest()


def forgotten_digests(session: Session) -> tuple[str, set[str]] | None:
    """The salt and every forgotten digest, or None when nobody was ever forgotten."""
    found = set(session.scalars(select(col(ForgottenPerson.digest))))
    if not found:
        return None
    return _salt(session), found


def is_forgotten(session: Session, platform: str, handle: str) -> bool:
    """True when this identity was forgotten: none of its posts may be stored again."""
    return forgotten_check(session)(platform, handle)


def forgotten_check(session: Session) -> Callable[[str, str], bool]:
    """A test of (platform, handle) against the forget list, read once for a whole batch."""
    known = forgotten_digests(session)
    if known is None:
        return lambda _platform, _handle: False
    salt, digests = known
    return lambda platform, handle: digest(salt, f"{platform}:{handle}") in digests


def drop_forgotten_posts(
    session: Session, rows: list[dict[str, Any]], source_kind: str
) -> list[dict[str, Any]]:
    """Post rows without those written by forgotten people (checked before anything is stored)."""
    known = forgotten_digests(session)
    if known is None:
        return rows
    salt, digests = known
    kept = []
    for row in rows:
        author = row.get("author")
        if author:
            platform = platform_for(row.get("url") or row.get("thread_url"), source_kind)
            key = f"{platform}:{normalise_handle(platform, author)}"
            if digest(salt, key) in digests:
                continue
        kept.append(row)
    return kept


@dataclass(frozen=True)
class ForgetReport:
    """What forgetting one person removed."""

    contacts: int
    identities: int
    posts: int
    activities: int
    deliveries: int
    digests: int

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def resolve_person(session: Session, person: str) -> db.Contact:
    """A contact by id, e-mail or PLATFORM:HANDLE; the contact it was merged into if merged."""
    from signals.people.identities import live

    person = person.strip()
    contact: db.Contact | None = None
    if person.isdigit():
        contact = session.get(db.Contact, int(person))
    elif "@" in person and ":" not in person.split("@")[0]:
        statement = select(db.Contact).where(col(db.Contact.email) == person.lower())
        contact = session.scalars(statement).first()
    elif ":" in person:
        platform, handle = person.split(":", 1)
        handle = normalise_handle(platform, handle)
        identity = session.scalars(
            select(db.Identity).where(
                col(db.Identity.platform) == platform, col(db.Identity.handle) == handle
            )
        ).first()
        contact = session.get(db.Contact, identity.contact_id) if identity else None
    else:
        raise InputError(
            f"cannot tell who {person!r} is; give a contact id, an e-mail or PLATFORM:HANDLE"
        )
    if contact is None:
        raise InputError(f"nobody matches {person!r}; see `signals contacts list`")
    assert contact.id is not None
    return live(session, contact.id)


def _family(session: Session, root: db.Contact) -> list[db.Contact]:
    """The contact and every contact merged into it, at any depth."""
    found, frontier = [root], [root.id]
    while frontier:
        statement = select(db.Contact).where(col(db.Contact.merged_into_id).in_(frontier))
        children = list(session.scalars(statement))
        found.extend(children)
        frontier = [c.id for c in children]
    return found


def _authored_posts(session: Session, identities: Sequence[db.Identity]) -> list[int]:
    """Ids of posts written by these identities (by author handle and platform)."""
    if not identities:
        return []
    wanted = {(i.platform, i.handle) for i in identities}
    handles = {i.handle for i in identities} | {f"/u/{i.handle}" for i in identities}
    handles |= {f"u/{i.handle}" for i in identities}
    kinds: dict[int | None, str] = {}
    for source_id, kind in session.execute(select(col(db.Source.id), col(db.Source.kind))):
        kinds[source_id] = kind
    statement = select(
        col(db.Post.id),
        col(db.Post.author),
        col(db.Post.url),
        col(db.Post.thread_url),
        col(db.Post.source_id),
    )
    statement = statement.where(col(db.Post.author).in_(handles))
    found = []
    for post_id, author, url, thread_url, source_id in session.execute(statement):
        platform = platform_for(url or thread_url, kinds.get(source_id, ""))
        if post_id and author and (platform, normalise_handle(platform, author)) in wanted:
            found.append(post_id)
    return found


def forget_person(session: Session, person: str, at: datetime) -> ForgetReport:
    """Remove everything held about a person and block their posts from coming back."""
    from signals.people import account_scores, publish, segment

    root = resolve_person(session, person)
    family = _family(session, root)
    ids = [c.id for c in family if c.id is not None]
    identities = list(
        session.scalars(select(db.Identity).where(col(db.Identity.contact_id).in_(ids)))
    )
    salt = _salt(session)
    keys = {f"{i.platform}:{i.handle}" for i in identities}
    keys |= {c.email.lower() for c in family if c.email}
    existing = set(session.scalars(select(col(ForgottenPerson.digest))))
    new_digests = {digest(salt, k) for k in keys} - existing
    session.add_all(ForgottenPerson(digest=d) for d in sorted(new_digests))
    posts = set(_authored_posts(session, identities))
    posts |= set(
        session.scalars(
            select(col(db.Activity.post_id)).where(col(db.Activity.contact_id).in_(ids))
        )
    )
    activities = session.scalar(
        select(func.count()).select_from(db.Activity).where(col(db.Activity.contact_id).in_(ids))
    )
    deliveries = 0
    if "deliveries" in inspect(session.connection()).get_table_names():
        # The delivery outbox (another area's table): queued messages about them go too.
        statement = text("DELETE FROM deliveries WHERE contact_id IN :ids").bindparams(
            bindparam("ids", expanding=True)
        )
        result: Any = session.execute(statement, {"ids": ids})
        deliveries = result.rowcount
    accounts = {c.account_id for c in family if c.account_id is not None}
    if posts:
        session.execute(delete(db.Post).where(col(db.Post.id).in_(posts)))
    # Children first: contacts point at the one they were merged into.
    for contact in sorted(family, key=lambda c: c.merged_into_id is None):
        session.delete(contact)
        session.flush()
    publish.publish(session, [segment.delete(root.id or 0, at)])
    for account_id in accounts:
        account_scores.refresh_account(session, account_id, at)
    session.flush()
    return ForgetReport(
        contacts=len(family),
        identities=len(identities),
        posts=len(posts),
        activities=int(activities or 0),
        deliveries=int(deliveries or 0),
        digests=len(new_digests),
    )


def export_person(session: Session, person: str) -> dict[str, Any]:
    """Everything held about a person, JSON-ready."""
    from signals.store import models_people as people

    root = resolve_person(session, person)
    family = _family(session, root)
    ids = [c.id for c in family if c.id is not None]
    identities = list(
        session.scalars(select(db.Identity).where(col(db.Identity.contact_id).in_(ids)))
    )
    post_ids = set(_authored_posts(session, identities))
    post_ids |= set(
        session.scalars(
            select(col(db.Activity.post_id)).where(col(db.Activity.contact_id).in_(ids))
        )
    )

    def rows(model: Any, column: Any, values: Iterable[Any]) -> list[dict[str, Any]]:
        values = list(values)
        if not values:
            return []
        statement = select(model).where(column.in_(values))
        return [_plain(r) for r in session.scalars(statement)]

    account_ids = {c.account_id for c in family if c.account_id}
    return {
        "person": person,
        "contacts": [_plain(c) for c in family],
        "identities": [_plain(i) for i in identities],
        "accounts": rows(db.Account, col(db.Account.id), account_ids),
        "posts": rows(db.Post, col(db.Post.id), post_ids),
        "signals": rows(db.Signal, col(db.Signal.post_id), post_ids),
        "activities": rows(db.Activity, col(db.Activity.contact_id), ids),
        "scores": rows(people.ContactScore, col(people.ContactScore.contact_id), ids),
        "stage_changes": rows(people.StageChange, col(people.StageChange.contact_id), ids),
        "inferred_attributes": rows(
            people.InferredAttribute, col(people.InferredAttribute.contact_id), ids
        ),
        "tasks": rows(people.Task, col(people.Task.contact_id), ids),
        "merge_ledger": rows(people.MergeLedger, col(people.MergeLedger.kept_contact_id), ids)
        + rows(people.MergeLedger, col(people.MergeLedger.merged_contact_id), ids),
        "events": rows(people.PeopleEvent, col(people.PeopleEvent.contact_id), ids),
    }


def _plain(row: Any) -> dict[str, Any]:
    out = {}
    for key, value in row.model_dump().items():
        out[key] = value.isoformat() if isinstance(value, datetime) else value
    return out
