"""The people API other parts of the product use (web, delivery, read API, CLI).

Functions take a `Session` and never commit: the caller does. Records are frozen dataclasses
with `to_dict()` (JSON-ready); list items are NamedTuples, so they unpack as documented tuples
and also read by name.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from signals.errors import InputError
from signals.people import account_scores, clock, erasure, identities, scoring
from signals.people import config as people_config
from signals.people.erasure import ForgetReport
from signals.store import models as db
from signals.store.models_people import (
    ContactScore,
    InferredAttribute,
    NoMerge,
)
from signals.store.models_people import (
    MergeProposal as MergeProposalRow,
)
from signals.store.models_people import (
    StageChange as StageChangeRow,
)


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if hasattr(value, "_asdict"):
        return {k: _json(v) for k, v in value._asdict().items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    return value


class _Record:
    """Base of the API's records."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: datetimes as ISO 8601 UTC, tuples as objects with their field names."""
        return {f.name: _json(getattr(self, f.name)) for f in fields(self)}  # type: ignore[arg-type]


class IdentityRef(NamedTuple):
    platform: str
    handle: str
    profile_url: str | None
    verified: bool


class Inferred(NamedTuple):
    attribute: str
    value: str
    evidence: str
    confidence: float


class ContactLite(NamedTuple):
    id: int
    name: str
    role: str | None


class ExplainedActivity(NamedTuple):
    activity_id: int
    kind: str
    url: str | None
    quote: str | None
    weight: float
    decay_factor: float
    points: float
    occurred_at: datetime


class FitRuleHit(NamedTuple):
    rule: str
    points: float
    field: str
    value: str
    inferred: bool


@dataclass(frozen=True)
class ContactCard(_Record):
    """Who a contact is, how they score now and what we know of them."""

    id: int
    display_name: str
    email: str | None
    title: str | None
    account_id: int | None
    account_name: str | None
    fit_grade: str
    band: int
    cell: str
    score: float
    lifecycle_stage: str
    buyer_stage: str | None
    identities: list[IdentityRef]
    inferred: list[Inferred]
    owner: str | None = None
    committee_role: str | None = None
    category_scores: dict[str, float] | None = None


@dataclass(frozen=True)
class AccountCard(_Record):
    """A company: its score now, band, buyer stage and its people."""

    id: int
    name: str
    domain: str | None
    score: float
    band: int
    buyer_stage: str | None
    contacts: list[ContactLite]


@dataclass(frozen=True)
class Explanation(_Record):
    """Which activities and fit rules make a contact's score, as of a moment."""

    contact_id: int
    as_of: datetime
    activities: list[ExplainedActivity]
    fit_rules: list[FitRuleHit]
    totals: dict[str, Any]


@dataclass(frozen=True)
class StageChange(_Record):
    """One lifecycle or buyer-stage change."""

    kind: str
    old: str | None
    new: str
    at: datetime
    reason: str


@dataclass(frozen=True)
class MergeProposal(_Record):
    """Two contacts that may be one person, with the reasons."""

    id: int
    contact_id: int
    other_contact_id: int
    reasons: list[str]
    confidence: float
    status: str
    created_at: datetime


def _current(session: Session, contact_id: int, now: datetime) -> ContactScore:
    """The stored score carried forward to now (computed from the log when none is stored)."""
    config = people_config.active()
    stored = session.get(ContactScore, contact_id)
    if stored is None or stored.as_of > now:
        return scoring.compute(session, contact_id, now, config)[0]
    by_kind = scoring.decayed(dict(stored.by_kind), stored.as_of, now, config)
    points = sum(by_kind.values())
    band = scoring.band_for(points, config.bands)
    by_category = {
        c: scoring.decayed(dict(k), stored.as_of, now, config)
        for c, k in stored.by_category.items()
    }
    return ContactScore(
        contact_id=contact_id, fit_grade=stored.fit_grade, fit_points=stored.fit_points,
        points=points, by_kind=by_kind, by_category=by_category, band=band,
        cell=f"{stored.fit_grade}{band}", as_of=now,
    )  # fmt: skip


def contact_card(session: Session, contact_id: int) -> ContactCard | None:
    """A contact (the one it was merged into, if merged), or None when there is none."""
    if session.get(db.Contact, contact_id) is None:
        return None
    contact = identities.live(session, contact_id)
    assert contact.id is not None
    score = _current(session, contact.id, clock.now())
    account = session.get(db.Account, contact.account_id) if contact.account_id else None
    inferred = session.scalars(
        select(InferredAttribute)
        .where(col(InferredAttribute.contact_id) == contact.id)
        .order_by(col(InferredAttribute.id))
    )
    return ContactCard(
        id=contact.id,
        display_name=contact.display_name,
        email=contact.email,
        title=contact.title,
        account_id=contact.account_id,
        account_name=account.name if account else None,
        fit_grade=score.fit_grade,
        band=score.band,
        cell=score.cell,
        score=round(score.points, 4),
        lifecycle_stage=contact.lifecycle_stage,
        buyer_stage=contact.buyer_stage,
        identities=[
            IdentityRef(i.platform, i.handle, i.profile_url, i.verified)
            for i in identities.identities_of(session, contact.id)
        ],
        inferred=[Inferred(a.attribute, a.value, a.evidence, a.confidence) for a in inferred],
        owner=contact.owner,
        committee_role=contact.committee_role,
        category_scores={k: round(v, 4) for k, v in scoring.category_points(score).items()},
    )


def account_card(session: Session, account_id: int) -> AccountCard | None:
    """An account and its live contacts, or None."""
    account = session.get(db.Account, account_id)
    if account is None:
        return None
    config = people_config.active()
    points, _active = account_scores.account_points(session, account_id, clock.now(), config)
    members = session.scalars(
        select(db.Contact)
        .where(col(db.Contact.account_id) == account_id)
        .where(col(db.Contact.merged_into_id).is_(None))
        .order_by(col(db.Contact.id))
    )
    return AccountCard(
        id=account_id,
        name=account.name,
        domain=account.domain,
        score=round(points, 4),
        band=scoring.band_for(points, config.account_bands),
        buyer_stage=account.buyer_stage,
        contacts=[ContactLite(c.id or 0, c.display_name, c.committee_role) for c in members],
    )


def explain_contact(
    session: Session, contact_id: int, as_of: datetime | None = None
) -> Explanation:
    """Each contributing activity (link, quote, weight, decay, points) and the fit rules."""
    if session.get(db.Contact, contact_id) is None:
        raise InputError(f"no contact {contact_id}; see `signals contacts list`")
    contact = identities.live(session, contact_id)
    assert contact.id is not None
    as_of = as_of or clock.now()
    row, scored, fit = scoring.compute(session, contact.id, as_of)
    posts = {
        a.id: (p.url, s.evidence if s else [])
        for a, p, s in session.execute(
            select(db.Activity, db.Post, db.Signal)
            .join(db.Post, col(db.Post.id) == col(db.Activity.post_id))
            .outerjoin(db.Signal, col(db.Signal.id) == col(db.Activity.signal_id))
            .where(col(db.Activity.contact_id) == contact.id)
        )
    }
    activities = []
    for item in scored:
        url, evidence = posts.get(item.activity.id, (None, []))
        quote = evidence[0]["text"] if evidence else None
        activities.append(
            ExplainedActivity(
                item.activity.id,
                item.activity.kind,
                url,
                quote,
                round(item.activity.weight * item.cap_factor, 4),
                round(item.decay, 6),
                round(item.points, 4),
                item.activity.occurred_at,
            )
        )
    return Explanation(
        contact_id=contact.id,
        as_of=as_of,
        activities=activities,
        fit_rules=[FitRuleHit(m.rule, m.points, m.field, m.value, m.inferred) for m in fit.matches],
        totals={
            "activity_points": round(row.points, 4),
            "fit_points": row.fit_points,
            "fit_grade": row.fit_grade,
            "band": row.band,
            "cell": row.cell,
            "category_scores": {k: round(v, 4) for k, v in scoring.category_points(row).items()},
        },
    )


def stage_history(session: Session, contact_id: int) -> list[StageChange]:
    """Every lifecycle and buyer-stage change of a contact, oldest first."""
    statement = (
        select(StageChangeRow)
        .where(col(StageChangeRow.contact_id) == contact_id)
        .order_by(col(StageChangeRow.id))
    )
    return [
        StageChange(c.kind, c.old, c.new, c.occurred_at, c.reason)
        for c in session.scalars(statement)
    ]


def merge_proposals(session: Session, status: str = "open") -> list[MergeProposal]:
    """Merge proposals with this status ("open", "approved", "rejected"), oldest first."""
    statement = (
        select(MergeProposalRow)
        .where(col(MergeProposalRow.status) == status)
        .order_by(col(MergeProposalRow.id))
    )
    return [
        MergeProposal(
            p.id or 0,
            p.contact_id,
            p.other_contact_id,
            list(p.reasons),
            p.confidence,
            p.status,
            p.created_at,
        )
        for p in session.scalars(statement)
    ]


def _open_proposal(session: Session, proposal_id: int) -> MergeProposalRow:
    proposal = session.get(MergeProposalRow, proposal_id)
    if proposal is None:
        raise InputError(f"no merge proposal {proposal_id}; see `signals contacts proposals`")
    if proposal.status != "open":
        raise InputError(f"merge proposal {proposal_id} is already {proposal.status}")
    return proposal


def approve_merge(session: Session, proposal_id: int, actor: str) -> None:
    """A reviewer's yes: merge the pair and write the merge ledger."""
    proposal = _open_proposal(session, proposal_id)
    reasons = [*proposal.reasons, f"approved by {actor}"]
    identities.merge_contacts(
        session, proposal.contact_id, proposal.other_contact_id, reasons, actor, reviewed=True
    )
    proposal.status, proposal.decided_by, proposal.decided_at = "approved", actor, clock.now()


def reject_merge(session: Session, proposal_id: int, actor: str) -> None:
    """A reviewer's no: the pair goes on the no-merge list."""
    proposal = _open_proposal(session, proposal_id)
    proposal.status, proposal.decided_by, proposal.decided_at = "rejected", actor, clock.now()
    if not identities.is_no_merge(session, proposal.contact_id, proposal.other_contact_id):
        session.add(
            NoMerge(
                contact_id=proposal.contact_id,
                other_contact_id=proposal.other_contact_id,
                actor=actor,
            )
        )
    session.flush()


def forget_person(session: Session, person: str) -> ForgetReport:
    """Erase a person (contact id, e-mail or PLATFORM:HANDLE) and block their posts."""
    return erasure.forget_person(session, person, clock.now())


def export_person(session: Session, person: str) -> dict[str, Any]:
    """Everything held about a person, JSON-ready."""
    return erasure.export_person(session, person)
