"""Where people events go out: `people_events`, read by exports and by the webhook feed."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session

from signals.store.bulk import insert_ignoring_duplicates
from signals.store.columns import utcnow
from signals.store.models import table
from signals.store.models_people import PeopleEvent

_PENDING = "people_events_pending"


def publish(session: Session, events: Sequence[dict[str, Any]]) -> int:
    """Queue Segment-spec events once each (by messageId); returns how many were new.

    Does not commit: the events go out with the change that caused them, or not at all. Inside
    `collected(session)` the events wait in memory, in order, and 0 is returned.
    """
    pending = session.info.get(_PENDING)
    if pending is not None:
        pending.extend(events)
        return 0
    rows = [
        {
            "message_id": event["messageId"],
            "type": event["type"],
            "contact_id": event.get("_contact_id"),
            "payload": {k: v for k, v in event.items() if not k.startswith("_")},
            "created_at": utcnow(),
        }
        for event in events
    ]
    inserted = insert_ignoring_duplicates(
        session, table(PeopleEvent), rows, ("message_id",), returning=("id",)
    )
    return len(inserted)


@contextmanager
def collected(session: Session) -> Iterator[None]:
    """Events published inside go out in one insert at the end, in the order published.

    The merge step folds a batch of activities one by one; their events keep that order
    (ids) without an INSERT each. Nested use joins the outer collection.
    """
    if _PENDING in session.info:
        yield
        return
    pending: list[dict[str, Any]] = []
    session.info[_PENDING] = pending
    try:
        yield
    finally:
        del session.info[_PENDING]
    publish(session, pending)
