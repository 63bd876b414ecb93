"""Bodies of the people commands (contacts, lifecycle, explain, export, forget, export-person)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from signals.app import AppContext
from signals.commands import _parse_since
from signals.errors import ConfigError
from signals.people import clock
from signals.people import config as people_config


@contextmanager
def _session(context: AppContext) -> Iterator[Session]:
    """One transaction: committed when the command finishes, rolled back if it fails."""
    people_config.use_directory(context.settings.directory)
    try:
        with Session(context.engine) as session, session.begin():
            yield session
    finally:
        context.engine.dispose()  # one command, one process: close the pool's connections


def _moment(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        return _parse_since(value)
    except ConfigError:
        raise ConfigError(
            f"{option} {value!r} is not an ISO date; use e.g. 2026-11-01 or 2026-11-01T09:00:00Z"
        ) from None


def _contact_id(value: str) -> int:
    if not value.isdigit():
        raise ConfigError(f"{value!r} is not a contact id; see `signals contacts list`")
    return int(value)


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def import_command(context: AppContext, path: Path, as_json: bool) -> None:
    from signals.people.importer import import_contacts

    with _session(context) as session:
        report = import_contacts(session, path, clock.now())
    if as_json:
        _print_json(report.to_dict())
        return
    print(
        f"{report.count('created')} created, {report.count('matched')} matched, "
        f"{report.count('rejected')} rejected; {report.merged} merged, "
        f"{report.proposed} proposed for review"
    )
    for row in report.rows:
        contact = f" contact {row.contact_id}" if row.contact_id else ""
        print(f"  line {row.line}: {row.status}{contact}: {'; '.join(row.reasons)}")


def list_command(context: AppContext, limit: int, as_of: str | None, as_json: bool) -> None:
    from sqlalchemy import select
    from sqlmodel import col

    from signals.people import api, scoring
    from signals.people.config import active
    from signals.store import models as db
    from signals.store.models_people import ContactScore

    moment = _moment(as_of, "--as-of")
    with _session(context) as session:
        ids = [
            i
            for i in session.scalars(
                select(col(db.Contact.id)).where(col(db.Contact.merged_into_id).is_(None))
            )
            if i is not None
        ]
        if moment is None:
            # The stored scores carried to now rank everyone cheaply; cards only for the top.
            now, config = clock.now(), active()
            stored = {s.contact_id: s for s in session.scalars(select(ContactScore))}
            points = {
                i: sum(scoring.decayed(dict(s.by_kind), s.as_of, now, config).values())
                for i, s in stored.items()
                if s.as_of <= now
            }
            ids = sorted(ids, key=lambda i: (-points.get(i, 0.0), i))[:limit]
        rows = []
        for contact_id in ids:
            card = api.contact_card(session, contact_id)
            if card is None:
                continue
            data = card.to_dict()
            if moment is not None:
                score = scoring.compute(session, card.id, moment)[0]
                data.update(score=round(score.points, 4), band=score.band, cell=score.cell)
            rows.append(data)
    rows.sort(key=lambda r: (-r["score"], r["id"]))
    rows = rows[:limit]
    if as_json:
        sys.stdout.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
        return
    for r in rows:
        print(
            f"{r['id']:>6}  {r['cell']}  {r['score']:8.2f}  {r['lifecycle_stage']:<8} "
            f"{r['buyer_stage'] or '-':<10} {r['display_name']}"
            + (f" ({r['account_name']})" if r["account_name"] else "")
        )


def show_command(context: AppContext, contact: str) -> None:
    from signals.people import api

    with _session(context) as session:
        card = api.contact_card(session, _contact_id(contact))
        if card is None:
            raise ConfigError(f"no contact {contact}; see `signals contacts list`")
        data = card.to_dict()
        data["stage_history"] = [c.to_dict() for c in api.stage_history(session, card.id)]
    _print_json(data)


def proposals_command(context: AppContext, status: str) -> None:
    from signals.people import api

    with _session(context) as session:
        proposals = api.merge_proposals(session, status)
    for p in proposals:
        print(
            f"{p.id:>5}  contacts {p.contact_id} + {p.other_contact_id}  "
            f"confidence {p.confidence:.2f}  {'; '.join(p.reasons)}"
        )
    if not proposals:
        print(f"no {status} merge proposals")


def decide_command(context: AppContext, proposal_id: int, approve: bool, actor: str) -> None:
    from signals.people import api

    with _session(context) as session:
        if approve:
            api.approve_merge(session, proposal_id, actor)
        else:
            api.reject_merge(session, proposal_id, actor)
    print(f"merge proposal {proposal_id} {'approved' if approve else 'rejected'} by {actor}")


def merge_command(context: AppContext, keep: str, other: str, reason: str, actor: str) -> None:
    from signals.people import identities

    with _session(context) as session:
        ledger = identities.merge_contacts(
            session, _contact_id(keep), _contact_id(other), [reason], actor, reviewed=True
        )
        print(f"merged contact {ledger.merged_contact_id} into {ledger.kept_contact_id}")


def unmerge_command(context: AppContext, contact: str, actor: str) -> None:
    from signals.people import identities

    with _session(context) as session:
        ledger = identities.unmerge(session, _contact_id(contact), actor)
        print(
            f"unmerged contact {ledger.merged_contact_id} from {ledger.kept_contact_id}; "
            "the pair is now on the no-merge list"
        )


def lifecycle_set_command(
    context: AppContext, contact: str, stage: str, reason: str, actor: str
) -> None:
    from signals.people import stages

    with _session(context) as session:
        change = stages.set_lifecycle(
            session, _contact_id(contact), stage, actor, clock.now(), reason
        )
        moved = None if change is None else (change.old, change.new)
    if moved is None:
        print(f"contact {contact} is already {stage}")
    else:
        print(f"contact {contact}: {moved[0]} -> {moved[1]}")


def explain_command(context: AppContext, contact: str, as_of: str | None, as_json: bool) -> None:
    from signals.people import api

    with _session(context) as session:
        explanation = api.explain_contact(session, _contact_id(contact), _moment(as_of, "--as-of"))
    if as_json:
        _print_json(explanation.to_dict())
        return
    totals = explanation.totals
    print(
        f"contact {explanation.contact_id} as of {explanation.as_of:%Y-%m-%d %H:%M} UTC: "
        f"cell {totals['cell']} (fit {totals['fit_grade']}, {totals['fit_points']:g} points; "
        f"activity band {totals['band']}, {totals['activity_points']:.2f} points)"
    )
    print("activities:")
    for a in explanation.activities:
        quote = f' "{a.quote}"' if a.quote else ""
        print(
            f"  {a.occurred_at:%Y-%m-%d} {a.kind:<22} weight {a.weight:6.2f} x decay "
            f"{a.decay_factor:.4f} = {a.points:6.2f}  {a.url or ''}{quote}"
        )
    print("fit rules:")
    for rule in explanation.fit_rules:
        inferred = " (inferred from posts)" if rule.inferred else ""
        print(f"  +{rule.points:g} {rule.rule}: {rule.field} = {rule.value}{inferred}")
    if not explanation.fit_rules:
        print("  none matched")


def export_command(context: AppContext, fmt: str, since: str | None) -> None:
    from signals.people import exports

    if fmt not in exports.FORMATS:
        raise ConfigError(f"unknown export format {fmt!r}; use one of {', '.join(exports.FORMATS)}")
    moment = _moment(since, "--since")
    with _session(context) as session:
        if fmt == "segment":
            for event in exports.segment_events(session, moment, clock.now()):
                sys.stdout.write(json.dumps(event, ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(exports.write_csv(session, fmt, moment))


def forget_command(context: AppContext, person: str) -> None:
    from signals.people import api

    with _session(context) as session:
        report = api.forget_person(session, person)
    print(
        f"forgot {person}: {report.contacts} contact(s), {report.identities} identities, "
        f"{report.posts} posts, {report.activities} activities, {report.deliveries} queued "
        "deliveries; their posts will not be stored again"
    )


def export_person_command(context: AppContext, person: str) -> None:
    from signals.people import api

    with _session(context) as session:
        data = api.export_person(session, person)
    _print_json(data)


def rescore_command(context: AppContext) -> None:
    from signals.people import scoring

    with _session(context) as session:
        count = scoring.rescore_all(session, clock.now())
    print(f"rescored {count} contacts")


def tasks_command(context: AppContext, status: str, as_json: bool) -> None:
    from sqlalchemy import select
    from sqlmodel import col

    from signals.store import models as db
    from signals.store.models_people import Task

    with _session(context) as session:
        statement = (
            select(Task, col(db.Contact.display_name), col(db.Post.url))
            .outerjoin(db.Contact, col(db.Contact.id) == col(Task.contact_id))
            .outerjoin(db.Post, col(db.Post.id) == col(Task.post_id))
            .where(col(Task.status) == status)
            .order_by(col(Task.due_at), col(Task.id))
        )
        rows: list[dict[str, Any]] = [
            {
                "id": task.id,
                "contact_id": task.contact_id,
                "contact": name,
                "play": task.play,
                "action": task.action,
                "owner": task.owner,
                "due_at": task.due_at.isoformat(),
                "url": url,
                "detail": task.detail,
            }
            for task, name, url in session.execute(statement)
        ]
    if as_json:
        sys.stdout.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
        return
    for r in rows:
        print(
            f"{r['id']:>5}  due {r['due_at'][:16]}  {r['action']:<13} {r['contact']}: {r['play']}"
        )
        print(f"       {r['url'] or ''}  {r['detail']}")
    if not rows:
        print(f"no {status} tasks")
