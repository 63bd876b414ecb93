"""Account scores: contacts' points weighted by committee role, plus the account's own activity."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from signals.people import config as people_config
from signals.people.config import ScoringConfig
from signals.people.scoring import ActivityRow, band_for, decayed, score_activities
from signals.store import models as db
from signals.store.models_people import AccountActivity, AccountScore, ContactScore


def account_points(
    session: Session, account_id: int, now: datetime, config: ScoringConfig
) -> tuple[float, int]:
    """Role-weighted sum over the account's active contacts (quiet ones do not dilute it),
    plus the account's own activities (signals naming the company but no one in it).
    """
    statement = (
        select(ContactScore, col(db.Contact.committee_role))
        .join(db.Contact, col(db.Contact.id) == col(ContactScore.contact_id))
        .where(col(db.Contact.account_id) == account_id)
        .where(col(db.Contact.merged_into_id).is_(None))
    )
    total, active = 0.0, 0
    for score, role in session.execute(statement):
        points = sum(decayed(dict(score.by_kind), score.as_of, now, config).values())
        if points < config.account_active_points or points <= 0:
            continue
        active += 1
        total += points * config.role_weights.get(role or "unknown", config.role_weights["unknown"])
    return total + company_points(session, account_id, now, config), active


def company_points(
    session: Session, account_id: int, now: datetime, config: ScoringConfig
) -> float:
    """Decayed, capped points of the activities that stay on the account itself."""
    statement = select(AccountActivity).where(col(AccountActivity.account_id) == account_id)
    rows = [
        ActivityRow(a.id or 0, -account_id, a.kind, a.weight, a.occurred_at, (), a.stage)
        for a in session.scalars(statement)
    ]
    return sum(item.points for item in score_activities(rows, now, config))


def refresh_account(
    session: Session, account_id: int, now: datetime, config: ScoringConfig | None = None
) -> AccountScore:
    """Recompute and store an account's score and buyer stage."""
    from signals.people import stages

    config = config or people_config.active()
    points, active = account_points(session, account_id, now, config)
    row = session.get(AccountScore, account_id)
    band = band_for(points, config.account_bands)
    if row is None:
        row = AccountScore(
            account_id=account_id, points=points, band=band, active_contacts=active, as_of=now
        )
        session.add(row)
    else:
        row.points, row.band, row.active_contacts, row.as_of = points, band, active, now
    stages.update_account(session, account_id, now, config)
    return row
