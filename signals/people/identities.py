"""Merging contacts on evidence only: reasons, proposals, the no-merge list and the ledger.

Evidence that merges at once: the same verified e-mail or website, a profile that links the
other handle, a CRM import row naming both. A merge that would put two different handles of
one platform on one contact is never made automatically: it becomes a proposal for a reviewer.
Every merge is a ledger row listing what moved, so `signals contacts unmerge` can put it back.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from signals.errors import SignalsError
from signals.identity import normalise_handle, platform_for
from signals.store import models as db
from signals.store.columns import utcnow
from signals.store.models_people import MergeLedger, MergeProposal, NoMerge

SYSTEM = "system"
# Contact fields a merge fills on the kept contact when it has none.
_FILLED = ("email", "title", "committee_role", "owner", "region", "website", "account_id")


class MergeRefused(SignalsError):
    """A merge was not made; the message says why and what to do instead."""


def live(session: Session, contact_id: int) -> db.Contact:
    """The contact a (possibly merged-away) contact id now lives in."""
    contact = session.get(db.Contact, contact_id)
    seen = set()
    while contact is not None and contact.merged_into_id is not None:
        if contact.id in seen:
            break
        seen.add(contact.id)
        contact = session.get(db.Contact, contact.merged_into_id)
    if contact is None:
        raise MergeRefused(f"no contact {contact_id}; see `signals contacts list`")
    return contact


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def is_no_merge(session: Session, a: int, b: int) -> bool:
    """True when a reviewer said these two are different people."""
    low, high = _pair(a, b)
    statement = select(col(NoMerge.id)).where(
        col(NoMerge.contact_id) == low, col(NoMerge.other_contact_id) == high
    )
    return session.scalars(statement).first() is not None


def identities_of(session: Session, contact_id: int) -> list[db.Identity]:
    """A contact's identities, by platform."""
    statement = select(db.Identity).where(col(db.Identity.contact_id) == contact_id)
    return sorted(session.scalars(statement), key=lambda i: (i.platform, i.handle))


def _shared_platforms(session: Session, a: int, b: int) -> list[str]:
    mine = {i.platform: i.handle for i in identities_of(session, a)}
    theirs = {i.platform: i.handle for i in identities_of(session, b)}
    return sorted(p for p in mine.keys() & theirs.keys() if mine[p] != theirs[p])


def merge_contacts(
    session: Session,
    keep_id: int,
    other_id: int,
    reasons: Sequence[str],
    actor: str = SYSTEM,
    reviewed: bool = False,
) -> MergeLedger:
    """Move other's identities and activities onto keep; refused when unsafe.

    `reviewed` is a person's approval: it may join two handles of one platform, which the
    evidence rules never do on their own.
    """
    keep, other = live(session, keep_id), live(session, other_id)
    assert keep.id is not None
    assert other.id is not None
    if keep.id == other.id:
        raise MergeRefused(f"contacts {keep_id} and {other_id} are already one contact")
    if is_no_merge(session, keep.id, other.id):
        raise MergeRefused(
            f"contacts {keep.id} and {other.id} are on the no-merge list; a reviewer said they "
            "are different people"
        )
    shared = _shared_platforms(session, keep.id, other.id)
    if shared and not reviewed:
        raise MergeRefused(
            f"contacts {keep.id} and {other.id} have different {', '.join(shared)} handles; "
            "two handles of one platform are never merged automatically (approve a proposal)"
        )
    identity_ids = [i.id for i in identities_of(session, other.id) if i.id is not None]
    activity_ids: list[int] = list(
        session.scalars(select(col(db.Activity.id)).where(col(db.Activity.contact_id) == other.id))
    )
    session.execute(
        update(db.Identity)
        .where(col(db.Identity.contact_id) == other.id)
        .values(contact_id=keep.id)
    )
    session.execute(
        update(db.Activity)
        .where(col(db.Activity.contact_id) == other.id)
        .values(contact_id=keep.id)
    )
    _move_post_rows(session, other.id, keep.id, None)
    for name in _FILLED:
        if getattr(keep, name) is None and getattr(other, name) is not None:
            setattr(keep, name, getattr(other, name))
    _keep_sales_stage(session, keep, other)
    other.merged_into_id = keep.id
    keep.updated_at = other.updated_at = utcnow()
    ledger = MergeLedger(
        kept_contact_id=keep.id,
        merged_contact_id=other.id,
        reasons=list(reasons),
        actor=actor,
        identity_ids=identity_ids,
        activity_ids=activity_ids,
    )
    session.add(ledger)
    low, high = _pair(keep.id, other.id)
    session.execute(
        update(MergeProposal)
        .where(col(MergeProposal.status) == "open")
        .where(col(MergeProposal.contact_id) == low, col(MergeProposal.other_contact_id) == high)
        .values(status="approved", decided_by=actor, decided_at=utcnow())
    )
    session.flush()
    _rescore(session, [keep.id, other.id])
    return ledger


# Stages people set (sales accepted, qualified, won) outrank what scoring computes.
_SALES_RANK = {"SAL": 1, "SQL": 2, "Won": 3}


def _keep_sales_stage(session: Session, keep: db.Contact, other: db.Contact) -> None:
    """A merge never loses a stage sales gave either contact: the furthest one stays."""
    from signals.people import clock, stages

    theirs = _SALES_RANK.get(other.lifecycle_stage, 0)
    if theirs > _SALES_RANK.get(keep.lifecycle_stage, 0):
        old, keep.lifecycle_stage = keep.lifecycle_stage, other.lifecycle_stage
        reason = f"merged with contact {other.id}, which sales had at {other.lifecycle_stage}"
        stages.record(session, "lifecycle", old, keep.lifecycle_stage, reason, clock.now(), keep.id)


def _move_post_rows(session: Session, source: int, target: int, post_ids: list[int] | None) -> None:
    """Inferred attributes and tasks follow the posts they came from."""
    from signals.store.models_people import InferredAttribute, Task

    for model in (InferredAttribute, Task):
        statement = update(model).where(col(model.contact_id) == source)
        if post_ids is not None:
            statement = statement.where(col(model.post_id).in_(post_ids))
        session.execute(statement.values(contact_id=target))


def unmerge(session: Session, contact_id: int, actor: str) -> MergeLedger:
    """Undo the latest merge into or of contact_id: what moved goes back."""
    statement = (
        select(MergeLedger)
        .where(col(MergeLedger.undone_at).is_(None))
        .where(
            or_(
                col(MergeLedger.merged_contact_id) == contact_id,
                col(MergeLedger.kept_contact_id) == contact_id,
            )
        )
        .order_by(col(MergeLedger.id).desc())
    )
    ledger = session.scalars(statement).first()
    if ledger is None:
        raise MergeRefused(f"contact {contact_id} has no merge to undo; see its merge history")
    kept, merged = ledger.kept_contact_id, ledger.merged_contact_id
    if ledger.identity_ids:
        session.execute(
            update(db.Identity)
            .where(col(db.Identity.id).in_(ledger.identity_ids))
            .values(contact_id=merged)
        )
    if ledger.activity_ids:
        session.execute(
            update(db.Activity)
            .where(col(db.Activity.id).in_(ledger.activity_ids))
            .values(contact_id=merged)
        )
        post_ids = list(
            session.scalars(
                select(col(db.Activity.post_id)).where(col(db.Activity.id).in_(ledger.activity_ids))
            )
        )
        _move_post_rows(session, kept, merged, post_ids)
    session.get_one(db.Contact, merged).merged_into_id = None
    ledger.undone_at, ledger.undone_by = utcnow(), actor
    low, high = _pair(kept, merged)
    if not is_no_merge(session, low, high):
        # Undoing a merge is a reviewer's "these are different people".
        session.add(NoMerge(contact_id=low, other_contact_id=high, actor=actor))
    session.flush()
    _rescore(session, [kept, merged])
    return ledger


def propose_merge(
    session: Session, a: int, b: int, reasons: Sequence[str], confidence: float
) -> MergeProposal | None:
    """An open proposal for a reviewer, unless the pair is already decided or proposed."""
    a, b = live(session, a).id or a, live(session, b).id or b
    if a == b or is_no_merge(session, a, b):
        return None
    low, high = _pair(a, b)
    statement = select(MergeProposal).where(
        col(MergeProposal.contact_id) == low, col(MergeProposal.other_contact_id) == high
    )
    existing = session.scalars(statement).first()
    if existing is not None:
        return existing if existing.status == "open" else None
    proposal = MergeProposal(
        contact_id=low, other_contact_id=high, reasons=list(reasons), confidence=confidence
    )
    session.add(proposal)
    session.flush()
    return proposal


def merge_on_evidence(
    session: Session, keep_id: int, other_id: int, reasons: Sequence[str], actor: str = SYSTEM
) -> str:
    """Merge when safe, else propose; returns "merged", "proposed" or "refused"."""
    try:
        merge_contacts(session, keep_id, other_id, reasons, actor)
    except MergeRefused as exc:
        if is_no_merge(session, live(session, keep_id).id or 0, live(session, other_id).id or 0):
            return "refused"
        propose_merge(session, keep_id, other_id, [*reasons, f"refused: {exc}"], 0.6)
        return "proposed"
    return "merged"


def merge_same_keys(session: Session, contact_id: int) -> list[str]:
    """Merge in other contacts with the same verified e-mail or website; returns outcomes.

    E-mails and websites come from the CRM or a verified profile, so they are evidence.
    """
    contact = live(session, contact_id)
    outcomes = []
    for field, value in (("email", contact.email), ("website", contact.website)):
        if not value:
            continue
        column = col(getattr(db.Contact, field))
        statement = (
            select(col(db.Contact.id))
            .where(column == value)
            .where(col(db.Contact.id) != contact.id)
            .where(col(db.Contact.merged_into_id).is_(None))
        )
        for other in list(session.scalars(statement)):
            if other is None or live(session, other).id == contact.id:
                continue
            reason = f"same {'e-mail' if field == 'email' else 'website'} {value}"
            outcomes.append(merge_on_evidence(session, contact.id or 0, other, [reason]))
    return outcomes


def identity_from_url(url: str) -> tuple[str, str] | None:
    """(platform, handle) of a profile URL on a known platform, else None."""
    parts = [p for p in urlsplit(url).path.split("/") if p]
    platform = platform_for(url, "")
    if platform == "reddit" and len(parts) >= 2 and parts[0] in ("u", "user"):
        return platform, normalise_handle(platform, parts[1])
    if platform == "hackernews" and "id=" in (urlsplit(url).query or ""):
        return platform, urlsplit(url).query.split("id=", 1)[1].split("&", 1)[0]
    if platform in ("github", "bluesky") and parts:
        return platform, parts[-1] if platform == "bluesky" else parts[0]
    return None


def link_profile(session: Session, contact_id: int, urls: Sequence[str]) -> list[str]:
    """Merge in the contacts whose handles a profile of contact_id links; returns outcomes."""
    outcomes = []
    for url in urls:
        key = identity_from_url(url)
        if key is None:
            continue
        statement = select(db.Identity).where(
            col(db.Identity.platform) == key[0], col(db.Identity.handle) == key[1]
        )
        identity = session.scalars(statement).first()
        if (
            identity is None
            or live(session, identity.contact_id).id == live(session, contact_id).id
        ):
            continue
        reason = f"profile of contact {contact_id} links {key[0]}:{key[1]}"
        outcomes.append(merge_on_evidence(session, contact_id, identity.contact_id, [reason]))
    return outcomes


def propose_same_handles(session: Session, identities: Sequence[db.Identity]) -> int:
    """Proposals for one handle seen on two platforms: a hint, never evidence enough to merge."""
    made = 0
    for identity in identities:
        statement = (
            select(db.Identity)
            .where(col(db.Identity.handle).ilike(identity.handle))
            .where(col(db.Identity.platform) != identity.platform)
        )
        for other in session.scalars(statement):
            if other.contact_id == identity.contact_id:
                continue
            reason = f"same handle {identity.handle!r} on {identity.platform} and {other.platform}"
            if propose_merge(session, identity.contact_id, other.contact_id, [reason], 0.4):
                made += 1
    return made


def _rescore(session: Session, contact_ids: Sequence[int]) -> None:
    from signals.people import scoring

    scoring.refresh_contacts(session, contact_ids)
