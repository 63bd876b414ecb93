"""People fixtures: the bundled real posts served on 127.0.0.1, a fixed clock, a CLI runner."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner, Result

from signals import pipeline
from signals.classifier import load_classifier
from signals.cli import app
from signals.config import Settings
from signals.demo import demo_feeds, demo_server, demo_settings
from signals.people import clock
from signals.people import config as people_config
from signals.replay import ReplayServer
from sources import HttpClient

# The worked example's clock: a day after the newest Reddit post in the bundled feeds.
NOW = datetime(2013, 8, 13, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _bundled_scoring() -> Iterator[None]:
    # The CLI points the people config at --config; put it back for the next test.
    yield
    people_config.use_directory(None)


@pytest.fixture
def served() -> Iterator[ReplayServer]:
    with demo_server(demo_feeds()) as server:
        yield server


@pytest.fixture
def settings(served: ReplayServer, tmp_path: Path) -> Settings:
    return demo_settings(served, demo_feeds(), tmp_path / "config")


def run_pipeline(engine: Engine, settings: Settings, at: datetime = NOW) -> pipeline.RunReport:
    """Crawl the served feeds and classify, with the people clock fixed at `at`."""
    pipeline.sync_sources(engine, settings.sources)
    with clock.fixed(at), HttpClient(settings.http) as http:
        return pipeline.run(engine, http, load_classifier(settings.directory))


Invoke = Callable[..., Result]


@pytest.fixture
def cli(database_url: str, settings: Settings) -> Invoke:
    """Run `signals --db URL --config DIR ARGS...` in process, at a fixed clock."""
    runner = CliRunner()

    def invoke(*args: str, at: datetime = NOW) -> Result:
        with clock.fixed(at):
            return runner.invoke(
                app, ["--db", database_url, "--config", str(settings.directory), *args]
            )

    return invoke
