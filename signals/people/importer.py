"""`signals contacts import FILE.csv`: upsert CRM contacts, match and merge on the import's word.

Columns: name, email, title, company, domain, website, region, owner, industry, employees, and
one column per platform holding that person's handle there (reddit, hackernews, github, ...).
A CRM row that names a handle is evidence: the handle's contact is merged into the row's
contact, unless that would join two handles of one platform (then a proposal is made instead).
"""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from signals.errors import InputError
from signals.identity import normalise_handle
from signals.people import accounts, erasure, identities, scoring
from signals.people import config as people_config
from signals.store import models as db

FIELDS = (
    "name", "email", "title", "company", "domain", "website", "region", "owner", "industry",
    "employees",
)  # fmt: skip
PLATFORMS = (
    "reddit", "hackernews", "github", "stackoverflow", "bluesky", "mastodon", "discourse",
    "twitter", "linkedin", "gitlab", "lobsters",
)  # fmt: skip


@dataclass
class RowOutcome:
    """What happened to one CSV row."""

    line: int
    status: str  # created, matched, rejected
    contact_id: int | None = None
    reasons: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    """Every row's outcome, and the merges and proposals the rows led to."""

    rows: list[RowOutcome] = field(default_factory=list)
    merged: int = 0
    proposed: int = 0

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    def to_dict(self) -> dict[str, Any]:
        return {
            "created": self.count("created"),
            "matched": self.count("matched"),
            "rejected": self.count("rejected"),
            "merged": self.merged,
            "proposed": self.proposed,
            "rows": [asdict(r) for r in self.rows],
        }


def _platform_columns(path: Path, header: list[str]) -> list[str]:
    platforms = []
    for column in header:
        if column in FIELDS:
            continue
        if column in PLATFORMS or column.endswith(".stackexchange"):
            platforms.append(column)
            continue
        raise InputError(
            f"{path}: unknown column {column!r}; use {', '.join(FIELDS)} or a platform "
            f"({', '.join(PLATFORMS)}, SITE.stackexchange)"
        )
    return platforms


def read_rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The platform columns and the (line, row) pairs of a contacts CSV."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [h.strip().lower() for h in reader.fieldnames or []]
            if not header:
                raise InputError(f"{path}: empty file; the first line must name the columns")
            platforms = _platform_columns(path, header)
            reader.fieldnames = header
            rows = [
                (reader.line_num, {k: (v or "").strip() for k, v in row.items() if k})
                for row in reader
            ]
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{path}: not a UTF-8 CSV file ({exc}); export it as CSV UTF-8") from None
    return platforms, rows


def import_contacts(session: Session, path: Path, now: datetime) -> ImportReport:
    """Upsert every row of a contacts CSV; the caller commits."""
    platforms, rows = read_rows(path)
    report = ImportReport()
    touched: set[int] = set()
    for line, row in rows:
        outcome = _import_row(session, line, row, platforms, report)
        report.rows.append(outcome)
        if outcome.contact_id is not None:
            touched.add(outcome.contact_id)
    live = {identities.live(session, c).id for c in touched}
    scoring.refresh_contacts(session, [c for c in live if c is not None], now, reason="CRM import")
    return report


def _import_row(
    session: Session, line: int, row: dict[str, str], platforms: list[str], report: ImportReport
) -> RowOutcome:
    config = people_config.active()
    email = accounts.normalise_email(row.get("email"))
    if row.get("email") and email is None:
        return RowOutcome(line, "rejected", reasons=[f"e-mail {row['email']!r} is not an address"])
    handles = {
        p: normalise_handle(p, row[p]) for p in platforms if row.get(p) and row[p].strip("@/ ")
    }
    if not (row.get("name") or email or handles):
        return RowOutcome(line, "rejected", reasons=["no name, e-mail or handle"])
    if any(erasure.is_forgotten(session, p, h) for p, h in handles.items()) or (
        email and _email_forgotten(session, email)
    ):
        return RowOutcome(line, "rejected", reasons=["this person asked to be forgotten"])
    contact, reasons = _match(session, email, handles)
    status = "matched" if contact is not None else "created"
    if contact is None:
        contact = db.Contact(display_name=row.get("name") or email or next(iter(handles.values())))
        session.add(contact)
        session.flush()
        reasons.append("new contact")
    assert contact.id is not None
    _update_fields(session, contact, row, email, config)
    outcome = RowOutcome(line, status, contact.id, reasons)
    for result in identities.merge_same_keys(session, contact.id):
        _count_merge(report, outcome, result, "a contact with the same e-mail or website")
    for platform, handle in sorted(handles.items()):
        _attach_handle(session, contact, platform, handle, line, outcome, report)
    return outcome


def _count_merge(report: ImportReport, outcome: RowOutcome, result: str, what: str) -> None:
    if result == "merged":
        report.merged += 1
        outcome.reasons.append(f"merged {what}")
    elif result == "proposed":
        report.proposed += 1
        outcome.reasons.append(f"not merged {what}: proposed for review")


def _email_forgotten(session: Session, email: str) -> bool:
    known = erasure.forgotten_digests(session)
    return known is not None and erasure.digest(known[0], email) in known[1]


def _match(
    session: Session, email: str | None, handles: dict[str, str]
) -> tuple[db.Contact | None, list[str]]:
    if email:
        statement = select(db.Contact).where(col(db.Contact.email) == email)
        found = session.scalars(statement.order_by(col(db.Contact.id))).first()
        if found is not None and found.id is not None:
            return identities.live(session, found.id), [f"same e-mail {email}"]
    for platform, handle in sorted(handles.items()):
        identity = _identity(session, platform, handle)
        if identity is not None:
            return identities.live(session, identity.contact_id), [
                f"known handle {platform}:{handle}"
            ]
    return None, []


def _identity(session: Session, platform: str, handle: str) -> db.Identity | None:
    statement = select(db.Identity).where(
        col(db.Identity.platform) == platform, col(db.Identity.handle) == handle
    )
    return session.scalars(statement).first()


def _update_fields(
    session: Session,
    contact: db.Contact,
    row: dict[str, str],
    email: str | None,
    config: people_config.ScoringConfig,
) -> None:
    """The CRM is the source of truth for what it states; blanks leave fields alone."""
    if row.get("name"):
        contact.display_name = row["name"]
    for name in ("title", "owner", "region"):
        if row.get(name):
            setattr(contact, name, row[name])
    if email:
        contact.email = email
    if row.get("website"):
        contact.website = accounts.normalise_domain(row["website"])
    if contact.title:
        contact.committee_role = accounts.committee_role(contact.title, config)
    domain = accounts.normalise_domain(row.get("domain")) or accounts.company_domain(
        email=email, url=row.get("website")
    )
    account = accounts.account_for(session, domain, row.get("company") or None)
    if account is not None:
        contact.account_id = account.id
        if row.get("industry"):
            account.industry = row["industry"]
        if row.get("employees", "").replace(",", "").isdigit():
            account.employees = int(row["employees"].replace(",", ""))


def _attach_handle(
    session: Session,
    contact: db.Contact,
    platform: str,
    handle: str,
    line: int,
    outcome: RowOutcome,
    report: ImportReport,
) -> None:
    assert contact.id is not None
    reason = f"CRM import line {line} lists {platform}:{handle}"
    identity = _identity(session, platform, handle)
    if identity is None:
        mine = [i for i in identities.identities_of(session, contact.id) if i.platform == platform]
        if not mine:
            # The CRM vouches for it: a verified identity.
            session.add(
                db.Identity(contact_id=contact.id, platform=platform, handle=handle, verified=True)
            )
            session.flush()
            return
        # A second handle on one platform: its own contact, and a reviewer decides.
        other = db.Contact(display_name=handle)
        session.add(other)
        session.flush()
        assert other.id is not None
        session.add(db.Identity(contact_id=other.id, platform=platform, handle=handle))
        session.flush()
        identity = _identity(session, platform, handle)
        assert identity is not None
    if identities.live(session, identity.contact_id).id == contact.id:
        identity.verified = True
        return
    result = identities.merge_on_evidence(session, contact.id, identity.contact_id, [reason])
    if result == "merged":
        identity.verified = True
        report.merged += 1
        outcome.reasons.append(f"merged {platform}:{handle} ({reason})")
    elif result == "proposed":
        report.proposed += 1
        outcome.reasons.append(
            f"not merged {platform}:{handle}: the contact already has another {platform} "
            "handle; proposed for review"
        )
    else:
        outcome.reasons.append(f"not merged {platform}:{handle}: on the no-merge list")
