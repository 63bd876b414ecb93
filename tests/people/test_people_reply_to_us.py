"""A signal that answers one of our own accounts is typed reply_to_us (config our_handles)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlmodel import col

from signals import pipeline
from signals.classifier import load_classifier
from signals.config import bundled_config_dir
from signals.errors import ConfigError
from signals.people import config as people_config
from signals.store import models as db
from tests.conftest import ROOT


def _real_signal_text() -> str:
    import json

    for line in (ROOT / "data/labeled/dev.jsonl").read_text().splitlines():
        record = json.loads(line)
        if record["is_signal"]:
            return str(record["text"])
    raise AssertionError("no signal in dev.jsonl")


def _thread(session: Session, parent_author: str) -> int:
    source = db.Source(name="forum", kind="rss", settings={})
    session.add(source)
    session.flush()
    assert source.id is not None
    url = "https://www.reddit.com/r/helpdesk/comments/abc/"
    parent = db.Post(
        source_id=source.id,
        external_id="p",
        url=url,
        author=parent_author,
        text="We just shipped a new importer.",
    )
    session.add(parent)
    session.flush()
    reply = db.Post(
        source_id=source.id,
        external_id="r",
        url=url + "r/",
        author="a_buyer",
        parent_external_id="p",
        parent_id=parent.id,
        text=_real_signal_text(),
    )
    session.add(reply)
    session.flush()
    assert reply.id is not None
    return reply.id


@pytest.mark.parametrize(("parent_author", "expected"), [("acme_support", True), ("x", False)])
def test_an_answer_to_our_account_is_reply_to_us(
    engine: Engine, tmp_path: Path, parent_author: str, expected: bool
) -> None:
    text = (bundled_config_dir() / "scoring.toml").read_text()
    text = text.replace("our_handles = []", 'our_handles = ["reddit:acme_support"]')
    text = text.replace(
        "[activity.reply_to_us]\nweight = 15", "[activity.reply_to_us]\nweight = 90"
    )
    (tmp_path / "scoring.toml").write_text(text)
    people_config.use_directory(tmp_path)
    with Session(engine) as session, session.begin():
        reply_id = _thread(session, parent_author)
    pipeline.classify_pending(engine, load_classifier(bundled_config_dir()))
    with Session(engine) as session:
        activity = session.scalars(
            select(db.Activity).where(col(db.Activity.post_id) == reply_id)
        ).one()
    assert (activity.kind == "reply_to_us") is expected
    if expected:
        assert activity.weight > 0


def test_our_handles_must_name_the_platform(tmp_path: Path) -> None:
    text = (bundled_config_dir() / "scoring.toml").read_text()
    (tmp_path / "scoring.toml").write_text(
        text.replace("our_handles = []", 'our_handles = ["acme"]')
    )
    with pytest.raises(ConfigError, match='our_handles must be a list of "platform:handle"'):
        people_config.load_scoring(tmp_path)
