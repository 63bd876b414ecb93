"""A comment is classified with its thread's opening post as context, however deep it sits."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

from signals import pipeline
from signals.store import models as db


def test_a_reply_to_a_reply_is_read_with_the_thread_opener(engine: Engine) -> None:
    with Session(engine) as session:
        source = db.Source(name="forum", kind="rss")
        session.add(source)
        session.flush()
        assert source.id is not None
        opener = db.Post(
            source_id=source.id,
            external_id="t1",
            title="Helpdesk for our 12-agent support team?",
            text="We are replacing Freshdesk at work.",
        )
        session.add(opener)
        session.flush()
        comment = db.Post(
            source_id=source.id, external_id="c1", parent_id=opener.id, text="Try Zendesk."
        )
        session.add(comment)
        session.flush()
        reply = db.Post(
            source_id=source.id, external_id="c2", parent_id=comment.id, text="Is it pricey?"
        )
        orphan = db.Post(source_id=source.id, external_id="c3", text="A new thread.")
        session.add_all([reply, orphan])
        session.flush()
        assert reply.id is not None and comment.id is not None
        contexts = pipeline._thread_contexts(session, [comment, reply, orphan])
    expected = "Helpdesk for our 12-agent support team?\nWe are replacing Freshdesk at work."
    assert contexts == {comment.id: expected, reply.id: expected}
