"""Nurture plays: (buyer stage, matrix cell, intent) -> a task with a response deadline."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from signals.people.config import Play, ScoringConfig
from signals.store import models as db
from signals.store.bulk import insert_ignoring_duplicates
from signals.store.columns import utcnow
from signals.store.models import table
from signals.store.models_people import ContactScore, Task


def matching_play(
    plays: tuple[Play, ...], stage: str | None, cell: str, intents: list[str]
) -> Play | None:
    """The first play whose stage, cell and intent all match ("*" matches anything)."""
    for play in plays:
        if play.stage not in ("*", stage):
            continue
        if "*" not in play.cells and cell not in play.cells:
            continue
        if play.intent != "*" and play.intent not in intents:
            continue
        return play
    return None


def run_plays(
    session: Session,
    contact: db.Contact,
    activity: db.Activity,
    score: ContactScore,
    config: ScoringConfig,
    now: datetime,
) -> Task | None:
    """Make the task of the play a new activity triggers, once per contact, post and play."""
    age_days = (now - activity.occurred_at).total_seconds() / 86_400
    if not 0 <= age_days <= config.fresh_within_days:
        return None  # old news (or from after a fixed clock): no one should act on it now
    play = matching_play(config.plays, activity.stage, score.cell, list(activity.intents))
    if play is None:
        return None
    # The deadline runs from when we saw it, not from when it was posted: speed to lead.
    due = max(now, activity.occurred_at) + timedelta(hours=play.respond_within_hours)
    row = {
        "contact_id": contact.id,
        "account_id": contact.account_id,
        "post_id": activity.post_id,
        "play": play.name,
        "action": play.action,
        "owner": contact.owner,
        "detail": play.detail,
        "due_at": due,
        "status": "open",
        "created_at": utcnow(),
    }
    inserted = insert_ignoring_duplicates(
        session, table(Task), [row], ("contact_id", "post_id", "play"), returning=("id",)
    )
    if not inserted:
        return None
    task = session.get_one(Task, inserted[0][0])
    if play.action == "alert_owner":
        _alert(session, contact, task, score, now)
    return task


def _alert(
    session: Session, contact: db.Contact, task: Task, score: ContactScore, now: datetime
) -> None:
    """An alert is a track event the owner's channels receive (Slack, e-mail, webhook)."""
    from signals.people import publish, segment

    assert contact.id is not None
    assert task.id is not None
    event = segment.base("track", ("task", task.id), now, contact.id)
    event.update(
        userId=segment.user_id(contact.id),
        event="Play Triggered",
        properties={
            "task_id": task.id,
            "play": task.play,
            "action": task.action,
            "owner": task.owner,
            "due_at": task.due_at.isoformat().replace("+00:00", "Z"),
            "matrix_cell": score.cell,
            "detail": task.detail,
        },
    )
    publish.publish(session, [event])
