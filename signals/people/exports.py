"""`signals export`: Segment-spec JSON Lines, and CSV shaped for HubSpot and Mautic imports.

Segment: per contact an `identify` (traits with stage, matrix cell and scores), a `group` when
it has an account, a `track` per activity since --since (with the evidence URL and quote) and a
`track` per stage change since --since. HubSpot and Mautic: one row per contact with activity
since --since, under the column names their import tools map automatically (see FIELD MAPS).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from signals.people import api, segment
from signals.store import models as db
from signals.store.models_people import AccountScore, ContactScore, StageChange

FORMATS = ("segment", "hubspot-csv", "mautic-csv")
# HubSpot's import tool maps a column to the contact property whose label matches the header.
# The first seven are HubSpot's default properties; the rest are custom contact properties to
# create once (Settings > Properties) with these labels.
HUBSPOT_COLUMNS = (
    "Email", "First Name", "Last Name", "Job Title", "Company Name", "Website URL",
    "Lifecycle Stage", "Buying Signal Score", "Fit Grade", "Matrix Cell", "Buyer Stage",
    "Last Buying Signal URL", "Last Buying Signal Date", "Social Profiles",
)  # fmt: skip
# HubSpot's default lifecycle stages, by internal value (the import accepts those).
HUBSPOT_STAGES = {
    "MAL": "subscriber", "MIL": "lead", "MQL": "marketingqualifiedlead",
    "SAL": "salesqualifiedlead", "SQL": "opportunity", "Won": "customer", "Recycled": "lead",
}  # fmt: skip
# Mautic's import maps a column whose header is a contact field alias. firstname .. website are
# core fields; points and stage are special import columns; tags are "|"-separated; the
# signal_* aliases are custom fields to create once (Settings > Custom Fields).
MAUTIC_COLUMNS = (
    "email", "firstname", "lastname", "position", "company", "website", "points", "stage",
    "tags", "signal_fit_grade", "signal_matrix_cell", "signal_buyer_stage", "signal_last_url",
    "signal_last_at",
)  # fmt: skip


def _contacts_since(session: Session, since: datetime | None) -> list[int]:
    """Live contacts with an activity or stage change at or after since (all when None)."""
    live = select(col(db.Contact.id)).where(col(db.Contact.merged_into_id).is_(None))
    if since is None:
        ids = set(session.scalars(live))
        return sorted(i for i in ids if i is not None)
    active = select(col(db.Activity.contact_id)).where(col(db.Activity.occurred_at) >= since)
    changed = select(col(StageChange.contact_id)).where(col(StageChange.occurred_at) >= since)
    wanted = set(session.scalars(active)) | set(session.scalars(changed))
    return sorted(i for i in set(session.scalars(live)) & wanted if i is not None)


def segment_events(
    session: Session, since: datetime | None, now: datetime
) -> Iterator[dict[str, Any]]:
    """identify, group and track events, contact by contact."""
    for contact_id in _contacts_since(session, since):
        contact = session.get_one(db.Contact, contact_id)
        score = session.get(ContactScore, contact_id)
        account = session.get(db.Account, contact.account_id) if contact.account_id else None
        yield _public(segment.identify(contact, score, account, now))
        if account is not None and account.id is not None:
            account_score = session.get(AccountScore, account.id)
            yield _public(segment.group(account, account_score, contact_id, now))
        statement = (
            select(db.Activity, db.Post, db.Signal)
            .join(db.Post, col(db.Post.id) == col(db.Activity.post_id))
            .outerjoin(db.Signal, col(db.Signal.id) == col(db.Activity.signal_id))
        )
        statement = statement.where(col(db.Activity.contact_id) == contact_id)
        if since is not None:
            statement = statement.where(col(db.Activity.occurred_at) >= since)
        for activity, post, signal in session.execute(
            statement.order_by(col(db.Activity.occurred_at))
        ):
            quote = signal.evidence[0]["text"] if signal and signal.evidence else None
            yield _public(segment.track(activity, post, score, contact, quote))
        changes = select(StageChange).where(col(StageChange.contact_id) == contact_id)
        if since is not None:
            changes = changes.where(col(StageChange.occurred_at) >= since)
        for change in session.scalars(changes.order_by(col(StageChange.id))):
            yield _public(segment.stage_event(change))


def _public(event: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in event.items() if not k.startswith("_")}


def _names(display_name: str) -> tuple[str, str]:
    first, _, last = display_name.strip().partition(" ")
    return first, last


def _last_signal(session: Session, contact_id: int) -> tuple[str, str]:
    statement = (
        select(col(db.Post.url), col(db.Activity.occurred_at))
        .join(db.Post, col(db.Post.id) == col(db.Activity.post_id))
        .where(col(db.Activity.contact_id) == contact_id)
        .order_by(col(db.Activity.occurred_at).desc())
        .limit(1)
    )
    row = session.execute(statement).first()
    if row is None:
        return "", ""
    return row[0] or "", row[1].strftime("%Y-%m-%d")


def csv_rows(session: Session, fmt: str, since: datetime | None) -> Iterator[list[str]]:
    """The header, then one row per contact, for HubSpot or Mautic."""
    yield list(HUBSPOT_COLUMNS if fmt == "hubspot-csv" else MAUTIC_COLUMNS)
    for contact_id in _contacts_since(session, since):
        card = api.contact_card(session, contact_id)
        if card is None:
            continue
        first, last = _names(card.display_name)
        url, at = _last_signal(session, contact_id)
        contact = session.get_one(db.Contact, contact_id)
        account = session.get(db.Account, card.account_id) if card.account_id else None
        website = contact.website or (account.domain if account else None) or ""
        profiles = " ".join(f"{i.platform}:{i.handle}" for i in card.identities)
        if fmt == "hubspot-csv":
            yield [
                card.email or "", first, last, card.title or "", card.account_name or "",
                website, HUBSPOT_STAGES[card.lifecycle_stage], f"{card.score:.2f}",
                card.fit_grade, card.cell, card.buyer_stage or "", url, at, profiles,
            ]  # fmt: skip
        else:
            tags = ["buying-signal", f"cell-{card.cell}"] + (
                [f"stage-{card.buyer_stage}"] if card.buyer_stage else []
            )
            yield [
                card.email or "", first, last, card.title or "", card.account_name or "",
                website, str(round(card.score)), card.lifecycle_stage, "|".join(tags),
                card.fit_grade, card.cell, card.buyer_stage or "", url, at,
            ]  # fmt: skip


def write_csv(session: Session, fmt: str, since: datetime | None) -> str:
    """The whole CSV as text (RFC 4180, CRLF line ends, as spreadsheet tools write it)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in csv_rows(session, fmt, since):
        writer.writerow(row)
    return buffer.getvalue()
