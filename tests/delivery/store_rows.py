"""Rows for delivery tests: a post with its signal, author contact and account."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session
from sqlmodel import select

from signals.people import publish, segment
from signals.store import models as db


def add_signal(
    session: Session,
    number: int,
    published: datetime,
    *,
    intents: tuple[str, ...] = ("alternative_seeking",),
    stage: str | None = "evaluate",
    confidence: float = 0.9,
    author: str = "dana_ops",
    account: str | None = "Acme Logistics",
) -> int:
    """Store post `number` and its signal, authored by a contact; returns the signal id."""
    source = session.scalars(select(db.Source).where(db.Source.name == "r/sysadmin")).first()
    if source is None:
        source = db.Source(name="r/sysadmin", kind="rss", settings={"url": "https://x.test/rss"})
        session.add(source)
        session.flush()
    cue = "looking for an alternative to Jira"
    text = f"We are a 40-person team {cue} (#{number}); anyone moved to Linear and liked it?"
    post = db.Post(
        source_id=source.id or 0,
        external_id=f"t3_{number}",
        url=f"https://www.reddit.com/r/sysadmin/comments/{number}/",
        author=author,
        title=f"Jira replacement #{number}",
        text=text,
        published_at=published,
        community="r/sysadmin",
    )
    session.add(post)
    session.flush()
    start = text.index(cue)
    signal = db.Signal(
        post_id=post.id or 0,
        is_signal=True,
        confidence=confidence,
        stage=stage,
        intents=list(intents),
        products=["jira", "linear"],
        evidence=[
            {"start": start, "end": start + len(cue), "text": cue, "rule": "alt", "field": "text"}
        ],
        model_version="rules-test",
    )
    session.add(signal)
    contact = session.scalars(select(db.Contact).where(db.Contact.display_name == author)).first()
    if contact is None:
        company = None
        if account:
            company = db.Account(name=account, domain=None)
            session.add(company)
            session.flush()
        contact = db.Contact(display_name=author, account_id=company.id if company else None)
        session.add(contact)
    session.flush()
    activity = db.Activity(
        contact_id=contact.id or 0,
        post_id=post.id or 0,
        signal_id=signal.id,
        kind="signal",
        stage=stage,
        intents=list(intents),
        weight=confidence,
        occurred_at=published,
    )
    session.add(activity)
    session.flush()
    # As the pipeline's merge step does: the activity's Segment event, for the webhook feed.
    publish.publish(session, [segment.track(activity, post, None, contact, cue)])
    assert signal.id is not None
    return signal.id
