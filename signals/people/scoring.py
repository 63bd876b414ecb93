"""Lead scoring: fit grade A-D x activity band 1-4, with decay, daily caps and sub-scores.

Activity points are the activity's weight (kind weight x classifier confidence, fixed at post
time) x the daily-cap factor of its (kind, UTC day) x 0.5 ** (age / half-life of its kind).
A stored score keeps its points per kind as of `as_of`; a later time only multiplies each kind
by its decay, so a new activity updates a score in O(activities that day) instead of O(log).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session
from sqlmodel import col

from signals.people import clock
from signals.people import config as people_config
from signals.people.config import ScoringConfig
from signals.people.fit import Fit, FitMatch, fit_for, fit_from, grade_for
from signals.store import models as db
from signals.store.models import table
from signals.store.models_people import ContactScore, InferredAttribute

DAY = 86_400.0


@dataclass(frozen=True)
class ActivityRow:
    """What scoring needs of one activity."""

    id: int
    contact_id: int
    kind: str
    weight: float
    occurred_at: datetime
    categories: tuple[str, ...] = ()
    stage: str | None = None


@dataclass(frozen=True)
class ScoredActivity:
    """One activity's contribution at a moment: its cap factor, decay and points."""

    activity: ActivityRow
    cap_factor: float
    decay: float
    points: float


def band_for(points: float, thresholds: tuple[float, float, float]) -> int:
    """Band 1 (hottest) .. 4 for points."""
    for band, threshold in enumerate(thresholds, start=1):
        if points >= threshold:
            return band
    return 4


def day_start(moment: datetime) -> datetime:
    """The start (00:00 UTC) of the UTC day of a moment: daily caps count by it."""
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def score_activities(
    rows: Iterable[ActivityRow], as_of: datetime, config: ScoringConfig
) -> list[ScoredActivity]:
    """Each activity up to as_of with its daily-cap factor, decay and points."""
    groups: dict[tuple[int, str, date], list[ActivityRow]] = defaultdict(list)
    for row in rows:
        if row.occurred_at <= as_of:
            moment = row.occurred_at
            day = (moment if moment.tzinfo is UTC else moment.astimezone(UTC)).date()
            groups[(row.contact_id, row.kind, day)].append(row)
    scored = []
    for (_contact, kind, _day_start), members in groups.items():
        kind_type = config.activity_type(kind)
        total = sum(r.weight for r in members)
        factor = min(1.0, kind_type.daily_cap / total) if total > 0 else 1.0
        for row in members:
            decay = kind_type.decay((as_of - row.occurred_at).total_seconds() / DAY)
            scored.append(ScoredActivity(row, factor, decay, row.weight * factor * decay))
    scored.sort(key=lambda s: (s.activity.occurred_at, s.activity.id))
    return scored


def _sums(
    scored: Iterable[ScoredActivity],
) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    by_kind: dict[str, float] = defaultdict(float)
    by_category: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for item in scored:
        by_kind[item.activity.kind] += item.points
        for category in item.activity.categories:
            by_category[category][item.activity.kind] += item.points
    return dict(by_kind), {c: dict(k) for c, k in by_category.items()}


def decayed(
    by_kind: dict[str, float], since: datetime, until: datetime, config: ScoringConfig
) -> dict[str, float]:
    """Points per kind at since, carried forward to until."""
    days = (until - since).total_seconds() / DAY
    return {k: v * config.activity_type(k).decay(days) for k, v in by_kind.items()}


def activity_rows(
    session: Session,
    contact_ids: Sequence[int] | None,
    config: ScoringConfig,
    day: tuple[str, datetime] | None = None,
    since: datetime | None = None,
) -> list[ActivityRow]:
    """The activity log of some contacts (all when None), with each one's product categories.

    `day` keeps one (kind, UTC day) group; `since` the activities from that moment on.
    """
    activity = db.Activity
    statement = select(
        col(activity.id),
        col(activity.contact_id),
        col(activity.kind),
        col(activity.weight),
        col(activity.occurred_at),
        col(db.Signal.products),
        col(activity.stage),
    ).outerjoin(db.Signal, col(db.Signal.id) == col(activity.signal_id))
    if contact_ids is not None:
        statement = statement.where(col(activity.contact_id).in_(contact_ids))
    if day is not None:
        kind, start = day
        statement = statement.where(col(activity.kind) == kind)
        statement = statement.where(col(activity.occurred_at) >= start)
        statement = statement.where(col(activity.occurred_at) < start + timedelta(days=1))
    if since is not None:
        statement = statement.where(col(activity.occurred_at) >= since)
    rows = []
    for aid, contact_id, kind, weight, occurred_at, products, stage in session.execute(statement):
        categories = sorted(
            {
                config.product_categories[p.lower()]
                for p in products or ()
                if p.lower() in config.product_categories
            }
        )
        rows.append(
            ActivityRow(aid or 0, contact_id, kind, weight, occurred_at, tuple(categories), stage)
        )
    return rows


def compute(
    session: Session,
    contact_id: int,
    as_of: datetime | None = None,
    config: ScoringConfig | None = None,
) -> tuple[ContactScore, list[ScoredActivity], Fit]:
    """A contact's score as of a moment, from the activity log (nothing is written)."""
    config = config or people_config.active()
    as_of = as_of or clock.now()
    contact = session.get_one(db.Contact, contact_id)
    scored = score_activities(activity_rows(session, [contact_id], config), as_of, config)
    fit = fit_for(session, contact, config)
    return score_row(contact_id, fit, scored, as_of, config), scored, fit


def score_row(
    contact_id: int,
    fit: Fit,
    scored: Sequence[ScoredActivity],
    as_of: datetime,
    config: ScoringConfig,
) -> ContactScore:
    by_kind, by_category = _sums(scored)
    return _row(contact_id, fit, by_kind, by_category, as_of, config)


def _row(
    contact_id: int,
    fit: Fit,
    by_kind: dict[str, float],
    by_category: dict[str, dict[str, float]],
    as_of: datetime,
    config: ScoringConfig,
) -> ContactScore:
    points = sum(by_kind.values())
    band = band_for(points, config.bands)
    return ContactScore(
        contact_id=contact_id,
        fit_grade=fit.grade,
        fit_points=fit.points,
        points=points,
        by_kind=by_kind,
        by_category=by_category,
        band=band,
        cell=f"{fit.grade}{band}",
        as_of=as_of,
    )


def category_points(score: ContactScore) -> dict[str, float]:
    """Sub-score per product category."""
    return {c: sum(kinds.values()) for c, kinds in score.by_category.items()}


_SCORE_FIELDS = (
    "fit_grade",
    "fit_points",
    "points",
    "by_kind",
    "by_category",
    "band",
    "cell",
    "as_of",
)


def store_score(
    session: Session, row: ContactScore, existing: ContactScore | None = None
) -> ContactScore:
    """Write row over the contact's stored score (looked up unless handed in), or add it."""
    existing = existing or session.get(ContactScore, row.contact_id)
    if existing is None:
        session.add(row)
        return row
    for name in _SCORE_FIELDS:
        setattr(existing, name, getattr(row, name))
    return existing


def refresh_contacts(
    session: Session,
    contact_ids: Iterable[int],
    now: datetime | None = None,
    reason: str = "rescored",
) -> None:
    """Recompute and store some contacts' scores from their logs, then their stages."""
    from signals.people import account_scores, stages

    config = people_config.active()
    now = now or clock.now()
    accounts = set()
    for contact_id in sorted(set(contact_ids)):
        contact = session.get(db.Contact, contact_id)
        if contact is None:
            continue
        if contact.merged_into_id is not None:
            if (gone := session.get(ContactScore, contact_id)) is not None:
                session.delete(gone)
            accounts.add(contact.account_id)
            continue
        row, _scored, _fit = compute(session, contact_id, now, config)
        stored = store_score(session, row)
        stages.update_contact(session, contact, stored, now, config, reason)
        accounts.add(contact.account_id)
    session.flush()
    for account_id in accounts:
        if account_id is not None:
            account_scores.refresh_account(session, account_id, now, config)


def apply_activity(
    session: Session, activity_id: int, now: datetime | None = None, refit: bool = True
) -> ContactScore:
    """Fold one new activity into its contact's stored score (incremental; < 10 ms target).

    `refit=False` keeps the stored fit: an activity changes fit only through new hints. A batch
    of activities is `incremental.apply_activities`, which this is with a batch of one.
    """
    from signals.people import incremental

    contact_id = session.get_one(db.Activity, activity_id).contact_id
    return incremental.apply_activities(session, [activity_id], now, refit=refit)[contact_id]


def fold(
    stored: ContactScore,
    activity_id: int,
    day: Sequence[ActivityRow],
    fit: Fit,
    now: datetime,
    config: ScoringConfig,
) -> ContactScore:
    """A stored score carried to now with one new activity folded in (nothing is written).

    `day` is the activity's (kind, UTC day) group, itself included: the cap factor is shared,
    so the whole day is recounted.
    """
    by_kind = decayed(dict(stored.by_kind), stored.as_of, now, config)
    by_category = {
        c: decayed(dict(k), stored.as_of, now, config) for c, k in stored.by_category.items()
    }
    before = score_activities([r for r in day if r.id != activity_id], now, config)
    after = score_activities(day, now, config)
    for sign, items in ((-1.0, before), (1.0, after)):
        for item in items:
            by_kind[item.activity.kind] = by_kind.get(item.activity.kind, 0.0) + sign * item.points
            for category in item.activity.categories:
                kinds = by_category.setdefault(category, {})
                kinds[item.activity.kind] = kinds.get(item.activity.kind, 0.0) + sign * item.points
    return _row(stored.contact_id, fit, by_kind, by_category, now, config)


def rescore_all(session: Session, now: datetime | None = None, stages: bool = True) -> int:
    """Every live contact's score from scratch in one pass over the log; returns contacts scored.

    Loads the log, contacts, accounts, hints and stored scores once each, so the cost is a few
    queries plus arithmetic. With `stages`, lifecycle and buyer stages and account scores follow.
    """
    from signals.people import account_scores
    from signals.people import stages as stage_rules

    config = people_config.active()
    now = now or clock.now()
    by_contact: dict[int, list[ActivityRow]] = defaultdict(list)
    for logged in activity_rows(session, None, config):
        by_contact[logged.contact_id].append(logged)
    accounts = {a.id: a for a in session.scalars(select(db.Account))}
    hints: dict[tuple[str, int | None], dict[str, list[str]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for hint in session.scalars(select(InferredAttribute)):
        if hint.contact_id is not None:
            hints[("contact", hint.contact_id)][hint.attribute].append(hint.value)
        if hint.account_id is not None:
            hints[("account", hint.account_id)][hint.attribute].append(hint.value)
    window = timedelta(days=config.buyer_window_days)
    touched_accounts = set()
    fresh_rows: list[dict[str, Any]] = []
    for contact in session.scalars(
        select(db.Contact).where(col(db.Contact.merged_into_id).is_(None))
    ):
        assert contact.id is not None
        rows = by_contact.get(contact.id, [])
        account = accounts.get(contact.account_id)
        inferred: dict[str, list[str]] = defaultdict(list)
        for key in (("contact", contact.id), ("account", contact.account_id)):
            for attribute, values in hints.get(key, {}).items():
                inferred[attribute].extend(values)
        fit = fit_from(contact, account, inferred, config)
        by_kind, by_category = _sums(score_activities(rows, now, config))
        points = sum(by_kind.values())
        band = band_for(points, config.bands)
        cell = f"{fit.grade}{band}"
        fresh = {
            "contact_id": contact.id,
            "fit_grade": fit.grade,
            "fit_points": fit.points,
            "points": points,
            "by_kind": by_kind,
            "by_category": by_category,
            "band": band,
            "cell": cell,
            "as_of": now,
        }
        fresh_rows.append(fresh)
        if stages:
            recent = [r.stage for r in rows if r.stage and now - window < r.occurred_at <= now]
            stage_rules.update_contact(
                session,
                contact,
                _Score(cell, points),
                now,
                config,
                "rescored",
                buyer=_furthest(recent),
            )
            touched_accounts.add(contact.account_id)
    # The scores are a cache of the log: replace them wholesale, in this transaction, with
    # batched Core statements (ORM objects for 10,000 rows cost more than the arithmetic).
    session.flush()  # the stage changes above, before the cache is swapped underneath
    scores = table(ContactScore)
    session.execute(delete(scores))
    for start in range(0, len(fresh_rows), 2_000):
        session.execute(insert(scores), fresh_rows[start : start + 2_000])
    session.expire_all()  # nothing pending (flushed above); stale score objects reload
    count = len(fresh_rows)
    for account_id in touched_accounts:
        if account_id is not None:
            account_scores.refresh_account(session, account_id, now, config)
    return count


@dataclass(frozen=True)
class _Score:
    """What stage rules read of a score."""

    cell: str
    points: float


def _furthest(found: list[str]) -> str | None:
    from signals.people.stages import RESITD

    known = [s for s in found if s in RESITD]
    return max(known, key=RESITD.index) if known else None


__all__ = [
    "ActivityRow",
    "Fit",
    "FitMatch",
    "ScoredActivity",
    "apply_activity",
    "band_for",
    "compute",
    "fit_for",
    "fit_from",
    "grade_for",
    "refresh_contacts",
    "rescore_all",
]
