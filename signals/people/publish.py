"""Where people events go out: `people_events`, read by exports and by the webhook feed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from signals.store.bulk import insert_ignoring_duplicates
from signals.store.columns import utcnow
from signals.store.models import table
from signals.store.models_people import PeopleEvent


def publish(session: Session, events: Sequence[dict[str, Any]]) -> int:
    """Queue Segment-spec events once each (by messageId); returns how many were new.

    Does not commit: the events go out with the change that caused them, or not at all.
    """
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
