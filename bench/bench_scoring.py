"""Benchmark: lead scoring from scratch and one incremental update, on a synthetic activity log.

Builds a SQLite store with N contacts and M activities (synthetic rows for timing only: kinds,
weights, times and products drawn from a fixed seed), then times
  1. scoring every contact from scratch from the log (`scoring.rescore_all`), without and with
     the lifecycle / buyer-stage and account updates that follow a rescore;
  2. applying one new activity incrementally (`scoring.apply_activity`: decay carry-forward,
     the activity's day group, fit, stages, account), median and p95 over many contacts.
Usage:
    .venv/bin/python bench/bench_scoring.py [--contacts 10000] [--activities 100000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.orm import Session

from signals.people import clock, scoring
from signals.people import config as people_config
from signals.store import models as db
from signals.store import schema
from signals.store.engine import make_engine
from signals.store.models import table

NOW = datetime(2026, 6, 1, tzinfo=UTC)
PRODUCTS = ["Zendesk", "Jira", "Salesforce", "HubSpot", "Trello", "Freshdesk", None]


def build(path: Path, contacts: int, activities: int, seed: int = 7) -> None:
    """A store holding the synthetic log (committed)."""
    rng = random.Random(seed)
    config = people_config.active()
    kinds = [k for k in config.activity if config.activity[k].weight > 0]
    engine = make_engine(f"sqlite:///{path}")
    schema.upgrade(engine)
    with Session(engine) as session, session.begin():
        session.execute(
            insert(table(db.Source)),
            [
                {
                    "name": "bench",
                    "kind": "rss",
                    "settings": {},
                    "enabled": True,
                    "consecutive_failures": 0,
                    "created_at": NOW,
                }
            ],
        )
        accounts = [
            {"name": f"a{i}", "domain": f"a{i}.example", "created_at": NOW}
            for i in range(contacts // 5)
        ]
        session.execute(insert(table(db.Account)), accounts)
        session.execute(
            insert(table(db.Contact)),
            [
                {
                    "display_name": f"c{i}",
                    "created_at": NOW,
                    "updated_at": NOW,
                    "lifecycle_stage": "MAL",
                    "account_id": (i % len(accounts)) + 1 if i % 2 else None,
                    "title": rng.choice([None, "CTO", "Engineer", "Head of IT"]),
                    "committee_role": None,
                }
                for i in range(contacts)
            ],
        )
        posts, signals, rows = [], [], []
        for i in range(1, activities + 1):
            at = NOW - timedelta(seconds=rng.randrange(0, 180 * 86_400))
            product = rng.choice(PRODUCTS)
            posts.append(
                {
                    "source_id": 1,
                    "external_id": str(i),
                    "text": "x",
                    "published_at": at,
                    "fetched_at": NOW,
                }
            )
            signals.append(
                {
                    "post_id": i,
                    "is_signal": True,
                    "confidence": 0.8,
                    "intents": [],
                    "products": [product] if product else [],
                    "evidence": [],
                    "model_version": "bench",
                    "created_at": NOW,
                }
            )
            kind = rng.choice(kinds)
            rows.append(
                {
                    "contact_id": rng.randrange(1, contacts + 1),
                    "post_id": i,
                    "signal_id": i,
                    "kind": kind,
                    "stage": "evaluate",
                    "intents": [kind],
                    "weight": config.activity[kind].weight * rng.uniform(0.4, 1.0),
                    "occurred_at": at,
                    "created_at": NOW,
                }
            )
        for chunk in range(0, activities, 20_000):
            session.execute(insert(table(db.Post)), posts[chunk : chunk + 20_000])
            session.execute(insert(table(db.Signal)), signals[chunk : chunk + 20_000])
            session.execute(insert(table(db.Activity)), rows[chunk : chunk + 20_000])
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--activities", type=int, default=100_000)
    parser.add_argument("--updates", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "bench.db"
        started = time.perf_counter()
        build(path, args.contacts, args.activities)
        print(
            f"built {args.activities:,} activities for {args.contacts:,} contacts "
            f"in {time.perf_counter() - started:.1f} s"
        )
        engine = make_engine(f"sqlite:///{path}")
        for stages in (False, True):
            with clock.fixed(NOW), Session(engine) as session, session.begin():
                started = time.perf_counter()
                count = scoring.rescore_all(session, NOW, stages=stages)
                elapsed = time.perf_counter() - started
            what = "with stages and accounts" if stages else "scores only"
            print(
                f"from scratch ({what}): {count:,} contacts in {elapsed:.2f} s "
                f"({args.activities / elapsed:,.0f} activities/s)"
            )
        rng = random.Random(11)
        timings: dict[bool, list[float]] = {False: [], True: []}
        next_post = args.activities + 1
        for n in range(args.updates):
            now = NOW + timedelta(minutes=n + 1)
            with clock.fixed(now), Session(engine) as session, session.begin():
                contact = rng.randrange(1, args.contacts + 1)
                session.execute(
                    insert(table(db.Post)),
                    [
                        {
                            "source_id": 1,
                            "external_id": str(next_post),
                            "text": "x",
                            "published_at": now,
                            "fetched_at": now,
                        }
                    ],
                )
                session.execute(
                    insert(table(db.Signal)),
                    [
                        {
                            "post_id": next_post,
                            "is_signal": True,
                            "confidence": 0.9,
                            "intents": [],
                            "products": ["Jira"],
                            "evidence": [],
                            "model_version": "bench",
                            "created_at": now,
                        }
                    ],
                )
                result = session.execute(
                    insert(table(db.Activity)).returning(table(db.Activity).c.id),
                    [
                        {
                            "contact_id": contact,
                            "post_id": next_post,
                            "signal_id": next_post,
                            "kind": "comparison",
                            "stage": "evaluate",
                            "intents": ["comparison"],
                            "weight": 18.0,
                            "occurred_at": now,
                            "created_at": now,
                        }
                    ],
                )
                activity_id = result.scalar_one()
                refit = n % 2 == 1  # the pipeline refits only when the post gave new hints
                started = time.perf_counter()
                scoring.apply_activity(session, activity_id, now, refit=refit)
                session.flush()
                timings[refit].append(time.perf_counter() - started)
            next_post += 1
        for refit, found in timings.items():
            found.sort()
            median = statistics.median(found) * 1000
            p95 = found[int(len(found) * 0.95)] * 1000
            what = "with fit recomputed" if refit else "fit kept"
            print(
                f"incremental update of one new activity ({what}): median {median:.2f} ms, "
                f"p95 {p95:.2f} ms over {len(found)} updates (target < 10 ms)"
            )
        engine.dispose()


if __name__ == "__main__":
    main()
