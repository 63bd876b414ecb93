"""Crawls through the store: retries store once, a failing source is recorded and skipped."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from signals import pipeline
from signals.config import SourceConfig
from signals.replay import ReplayServer, Route
from signals.store import models as db
from sources import HttpClient, HttpSettings
from tests.clock import FakeClock

FIXTURES = Path(__file__).parent / "fixtures"
LOCAL = frozenset({"127.0.0.1"})


def _json(path: Path, status: int = 200) -> Route:
    return Route(
        body=path.read_bytes(), content_type="application/json", status=status, conditional=False
    )


def test_503_twice_then_200_makes_three_requests_and_stores_each_post_once(
    engine: Engine,
) -> None:
    clock = FakeClock()
    with ReplayServer(clock=clock) as server:
        questions = FIXTURES / "stackexchange/questions_html.trimmed.json"
        server.routes["/questions"] = _json(questions)
        busy = Route(status=503, body=b"busy", conditional=False)
        server.queue("/questions", busy, busy)
        config = SourceConfig(
            "so",
            "stackexchange",
            {
                "site": "stackoverflow",
                "api_url": server.url(""),
                "max_pages": 1,
                "backfill_days": 0,
            },
        )
        pipeline.sync_sources(engine, [config])
        with HttpClient(HttpSettings(allow_hosts=LOCAL), clock=clock) as http:
            (report,) = pipeline.crawl(engine, http)
            assert [r.status for r in server.requests_to("/questions")] == [503, 503, 200]
            assert (report.status, report.new) == ("ok", 6)
            again = pipeline.crawl(engine, http)
    assert again[0].new == 0
    with Session(engine) as session:
        ids = session.scalars(select(db.Post.external_id)).all()
    assert sorted(ids) == sorted(set(ids)) and len(ids) == 6


def test_a_failing_source_is_recorded_and_the_others_still_crawl(engine: Engine) -> None:
    with ReplayServer() as server:
        server.routes["/t/57.json"] = _json(FIXTURES / "discourse/topic.json")
        server.routes["/latest.json"] = Route(body=b"{not json", conditional=False)
        configs = [
            SourceConfig("broken", "discourse", {"url": server.url(""), "backfill_days": 0}),
            SourceConfig(
                "topic", "discourse", {"url": server.url(""), "topic": 57, "backfill_days": 0}
            ),
        ]
        pipeline.sync_sources(engine, configs)
        with HttpClient(HttpSettings(allow_hosts=LOCAL)) as http:
            broken, topic = pipeline.crawl(engine, http)
    assert broken.status == "error"
    assert broken.error is not None and "expected JSON" in broken.error
    assert (topic.status, topic.new) == ("ok", 3)
    with Session(engine) as session:
        row = session.scalars(select(db.Source).where(db.Source.name == "broken")).one()
        assert row.consecutive_failures == 1
        assert row.last_error is not None and "expected JSON" in row.last_error
