"""A comment is classified with its thread's opening post as context, however deep it sits."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from classifiers import Document, TrainedClassifier, load_rules
from signals import pipeline
from signals.store import models as db

CONFIG = Path(__file__).resolve().parents[1] / "config"


def _source_id(session: Session, name: str, kind: str) -> int:
    source = db.Source(name=name, kind=kind)
    session.add(source)
    session.flush()
    assert source.id is not None
    return source.id


def test_a_reply_to_a_reply_is_read_with_the_thread_opener(engine: Engine) -> None:
    with Session(engine) as session:
        source_id = _source_id(session, "forum", "rss")
        opener = db.Post(
            source_id=source_id,
            external_id="t1",
            title="Helpdesk for our 12-agent support team?",
            text="We are replacing Freshdesk at work.",
        )
        session.add(opener)
        session.flush()
        comment = db.Post(
            source_id=source_id, external_id="c1", parent_id=opener.id, text="Try Zendesk."
        )
        session.add(comment)
        session.flush()
        reply = db.Post(
            source_id=source_id, external_id="c2", parent_id=comment.id, text="Is it pricey?"
        )
        orphan = db.Post(source_id=source_id, external_id="c3", text="A new thread.")
        session.add_all([reply, orphan])
        session.flush()
        assert reply.id is not None and comment.id is not None
        contexts = pipeline._thread_contexts(session, [comment, reply, orphan])
    expected = "Helpdesk for our 12-agent support team?\nWe are replacing Freshdesk at work."
    assert contexts == {comment.id: expected, reply.id: expected}


def test_posts_are_classified_knowing_their_source_kind(engine: Engine) -> None:
    # An issue tracker gets its own intercept in the trained model: the same question there is
    # more often a buyer's. The pipeline must tell the classifier which kind a post came from.
    title = "Commercial licence"
    text = "We want this library in our closed-source product. Is there a commercial licence?"
    with Session(engine) as session:
        for name, kind in (("tracker", "github"), ("forum", "rss")):
            source_id = _source_id(session, name, kind)
            session.add(db.Post(source_id=source_id, external_id="1", title=title, text=text))
        session.commit()
    classifier = TrainedClassifier(load_rules(CONFIG))
    report = pipeline.classify_pending(engine, classifier)
    assert report.classified == 2
    direct = {
        kind: next(classifier.classify([Document("x", text, title, source=kind)])).confidence
        for kind in ("github", "rss")
    }
    assert direct["github"] > direct["rss"]
    with Session(engine) as session:
        query = (
            select(db.Source.kind, db.Signal.confidence)
            .join(db.Post, col(db.Post.source_id) == col(db.Source.id))
            .join(db.Signal, col(db.Signal.post_id) == col(db.Post.id))
        )
        stored = dict(session.execute(query).all())
    assert stored == pytest.approx(direct)


def test_a_reply_whose_thread_is_not_stored_is_still_read_as_a_reply(engine: Engine) -> None:
    # As an opening post from an issue tracker this chatter crosses the threshold (the
    # tracker's intercept); as the reply it is, it must not.
    text = "+1, we need this too for our team."
    classifier = TrainedClassifier(load_rules(CONFIG))
    assert next(classifier.classify([Document("x", text, source="github")])).is_signal
    with Session(engine) as session:
        orphan = db.Post(
            source_id=_source_id(session, "tracker", "github"),
            external_id="o/r#7/comment-1",
            parent_external_id="o/r#7",  # the issue itself was never stored
            text=text,
        )
        session.add(orphan)
        session.commit()
    report = pipeline.classify_pending(engine, classifier)
    assert (report.classified, report.signals) == (1, 0)
