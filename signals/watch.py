"""`signals watch`: crawl each source on its own interval and classify new posts at once.

One loop in one thread: the source due soonest is crawled, its new posts are classified and
merged straight away, and the `after_classify` hook hears of the new signals. A failing source
waits longer each time (its interval doubled per failure, capped) without delaying the others;
rate-limit holds are kept per host by the HTTP client. Stopping (SIGTERM, Ctrl-C) interrupts a
request in flight, which has committed nothing, or lets a commit finish; a restart resumes from
the cursors stored with every commit.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from signals import hooks, pipeline
from signals.config import SourceConfig
from signals.schedule import delay_after

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from classifiers import Classifier
    from sources import HttpClient

log = logging.getLogger(__name__)
FIRST_SPREAD = 2.0  # seconds: the first crawls are spread a little, not fired all at once


class Stopped(BaseException):
    """Raised inside an in-flight request when the watcher is asked to stop."""


@dataclass
class Stopper:
    """Whether to stop, and whether a stop may interrupt what is running right now."""

    event: threading.Event = field(default_factory=threading.Event)
    interruptible: bool = False

    def request(self) -> None:
        """Ask the watcher to stop; interrupt a request in flight (it holds nothing yet)."""
        self.event.set()
        if self.interruptible:
            self.interruptible = False
            raise Stopped

    @contextmanager
    def fetching(self) -> Iterator[None]:
        if self.event.is_set():
            raise Stopped
        self.interruptible = True
        try:
            yield
        finally:
            self.interruptible = False


@dataclass
class Cycle:
    """What one crawl of one source did, for the log line."""

    source: pipeline.SourceReport
    signals: int
    next_in: float


def watch(
    engine: Engine,
    http: HttpClient,
    classifier: Classifier,
    configs: Sequence[SourceConfig],
    stopper: Stopper,
    on_cycle: Callable[[Cycle], None] | None = None,
    recheck_hours: float | None = None,
) -> None:
    """Run until `stopper` is set: each enabled source crawled every `interval` seconds."""
    from sqlmodel import Session, select

    from signals.store import models as db

    pipeline.sync_sources(engine, configs)
    by_name = {c.name: c for c in configs if c.enabled}
    with Session(engine) as session:
        ids = {row.name: row.id for row in session.scalars(select(db.Source))}
    now = time.monotonic()
    due = {name: now + random.uniform(0, FIRST_SPREAD) for name in by_name}
    next_recheck = now + recheck_hours * 3600 if recheck_hours else None
    _classify(engine, classifier)  # what an interrupted run stored but did not classify
    while not stopper.event.is_set() and due:
        if next_recheck is not None and recheck_hours and time.monotonic() >= next_recheck:
            from signals.recheck import recheck

            recheck(engine, http, list(by_name))
            next_recheck = time.monotonic() + recheck_hours * 3600
        name = min(due, key=due.__getitem__)
        wake = min(due[name], next_recheck) if next_recheck is not None else due[name]
        wait = wake - time.monotonic()
        if wait > 0:
            stopper.event.wait(min(wait, 1.0))
            continue
        if due[name] > time.monotonic():
            continue  # woke for the re-check
        source_id = ids[name]
        assert source_id is not None
        try:
            report = pipeline.crawl_source(engine, http, source_id, stopper.fetching)
        except Stopped:
            break
        signals = _classify(engine, classifier) if report.new else 0
        failures = _failures(engine, source_id) if report.status == "error" else 0
        delay = delay_after(by_name[name].interval, failures)
        due[name] = time.monotonic() + delay
        if on_cycle:
            on_cycle(Cycle(report, signals, delay))


def _classify(engine: Engine, classifier: Classifier) -> int:
    report = pipeline.classify_pending(engine, classifier)
    hooks.after_classify(engine, report.signal_ids)
    return report.signals


def _failures(engine: Engine, source_id: int) -> int:
    from sqlmodel import Session

    from signals.store import models as db

    with Session(engine) as session:
        return session.get_one(db.Source, source_id).consecutive_failures
