"""Benchmark: the review queue over 100,000 signals, through real HTTP (uvicorn on 127.0.0.1).

The bundled demo posts are real; to fill a store with 100,000 signals each is stored many times
under a different id (a synthetic replication, for timing only, never data). A fifth of the
posts carry a review decision and a fiftieth a response task, so filters have work to do.
Prints the median and 95th percentile time of GET /review per scenario, of the query alone,
and of the other pages. Usage:
    .venv/bin/python bench/bench_review_queue.py [--signals 100000] [--db URL] [--repeat 30]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "web"))

from webtools import LiveServer, login, password_hash  # noqa: E402

from classifiers import INTENTS, STAGES  # noqa: E402
from signals.demo import DEMO_DATA  # noqa: E402
from signals.store import models as db  # noqa: E402
from signals.store import schema  # noqa: E402
from signals.store.engine import make_engine  # noqa: E402
from signals.store.models_web import ResponseTask, ReviewDecision, User  # noqa: E402
from signals.web.queue import QueueFilter, queue_page  # noqa: E402
from signals.web.settings import load_web_settings  # noqa: E402

SOURCES = 12
BATCH = 5000


def fill(engine: object, count: int) -> None:
    """count posts with one signal each, spread over sources, times, intents and stages."""
    posts = [json.loads(line) for line in (DEMO_DATA / "posts.jsonl").read_text().splitlines()]
    rng = random.Random(7)
    now = datetime.now(UTC)
    with Session(engine) as session:  # type: ignore[arg-type]
        for name, role in (("mara", "admin"),):
            session.add(User(name=name, role=role, password_hash=password_hash()))
        for i in range(SOURCES):
            session.add(
                db.Source(name=f"source-{i}", kind="rss", settings={"url": f"https://x/{i}"})
            )
        session.commit()
        post_table, signal_table = db.table(db.Post), db.table(db.Signal)
        review_table, task_table = db.table(ReviewDecision), db.table(ResponseTask)
        for start in range(0, count, BATCH):
            size = min(BATCH, count - start)
            post_rows, signal_rows, review_rows, task_rows = [], [], [], []
            for n in range(start, start + size):
                post = posts[n % len(posts)]
                when = now - timedelta(minutes=count - n)
                post_rows.append(
                    {
                        "id": n + 1,
                        "source_id": n % SOURCES + 1,
                        "external_id": f"{post['id']}-{n}",
                        "url": post["url"],
                        "author": f"{post['author']}-{n % 5000}",
                        "title": post["title"],
                        "text": post["text"],
                        "community": post["community"],
                        "published_at": when,
                        "fetched_at": when,
                    }
                )
                text = post["text"]
                signal_rows.append(
                    {
                        "id": n + 1,
                        "post_id": n + 1,
                        "is_signal": rng.random() < 0.9,
                        "confidence": round(rng.random(), 4),
                        "stage": rng.choice(STAGES),
                        "intents": rng.sample(INTENTS, rng.randint(1, 2)),
                        "products": rng.sample(["jira", "linear", "asana", "zabbix"], 1),
                        "evidence": [{"start": 0, "end": min(20, len(text)), "text": text[:20]}],
                        "model_version": "bench",
                        "created_at": when,
                    }
                )
                if rng.random() < 0.2:
                    review_rows.append(
                        {
                            "signal_id": n + 1,
                            "post_id": n + 1,
                            "reviewer_id": 1,
                            "decision": rng.choice(["accept", "reject", "relabel"]),
                            "is_signal": True,
                            "stage": None,
                            "intents": [],
                            "products": [],
                            "decided_at": when,
                        }
                    )
                if rng.random() < 0.02:
                    task_rows.append(
                        {
                            "post_id": n + 1,
                            "signal_id": n + 1,
                            "status": rng.choice(["claimed", "responded", "skipped"]),
                            "assignee_id": 1,
                            "deadline": when + timedelta(hours=2),
                            "created_at": when,
                            "updated_at": when,
                        }
                    )
            session.execute(post_table.insert(), post_rows)
            session.execute(signal_table.insert(), signal_rows)
            if review_rows:
                session.execute(review_table.insert(), review_rows)
            if task_rows:
                session.execute(task_table.insert(), task_rows)
            session.commit()


SCENARIOS = {
    "newest, unreviewed (default)": "",
    "highest score": "sort=score",
    "one source": "source=source-3",
    "one community": "community=r%2Fsoftware",
    "rare community (2 in 96)": "community=genai.stackexchange.com",
    "no match (scans every signal)": "community=nowhere",
    "intent pricing_inquiry": "intent=pricing_inquiry",
    "stage + min score": "stage=deploy&min_score=0.8&sort=score",
    "product": "product=zabbix",
    "accepted only": "state=accept",
    "all, page 2 (cursor)": "state=all&CURSOR",
}


OTHER_PAGES = {
    "signal detail": "/review/99999",
    "respond inbox (open)": "/inbox",
    "respond inbox (responded)": "/inbox?view=responded",
    "respond inbox (mine)": "/inbox?view=mine",
    "dashboard (30 days)": "/dashboard",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signals", type=int, default=100_000)
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        schema.upgrade(engine)
        started = time.perf_counter()
        fill(engine, args.signals)
        if engine.dialect.name == "postgresql":
            # Fresh tables have no statistics until autovacuum runs; a live store has them.
            with engine.begin() as connection:
                connection.execute(text("ANALYZE"))
        print(
            f"store: {engine.dialect.name}, {args.signals} signals filled in "
            f"{time.perf_counter() - started:.1f} s"
        )
        with LiveServer(engine, load_web_settings(None)) as server:
            client = login(server, "mara")
            first = client.get("/review?state=all").text
            cursor = re.search(r'href="/review\?([^"]*after=[^"]*)"', first)
            assert cursor, "no next page link"
            page2 = cursor.group(1).replace("&amp;", "&")
            print(f"{'scenario':32} {'HTTP median':>12} {'HTTP p95':>10} {'query median':>13} rows")
            for label, query in SCENARIOS.items():
                query = page2 if query.endswith("CURSOR") else query
                http_times, query_times = [], []
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    response = client.get(f"/review?{query}")
                    http_times.append(time.perf_counter() - t0)
                    assert response.status_code == 200, response.text[:300]
                    qf = QueueFilter.from_params(httpx.QueryParams(query))
                    t0 = time.perf_counter()
                    with Session(engine) as session:
                        rows = len(queue_page(session, qf).items)
                    query_times.append(time.perf_counter() - t0)
                http_times.sort()
                p95 = http_times[int(len(http_times) * 0.95) - 1]
                print(
                    f"{label:32} {statistics.median(http_times) * 1000:10.1f}ms "
                    f"{p95 * 1000:8.1f}ms {statistics.median(query_times) * 1000:11.1f}ms {rows:4}"
                )
            print(f"{'other pages':32} {'HTTP median':>12} {'HTTP p95':>10}")
            for label, path in OTHER_PAGES.items():
                times = []
                for _ in range(max(3, args.repeat // 3)):
                    t0 = time.perf_counter()
                    response = client.get(path)
                    times.append(time.perf_counter() - t0)
                    assert response.status_code == 200, response.text[:300]
                times.sort()
                p95 = times[max(0, int(len(times) * 0.95) - 1)]
                print(f"{label:32} {statistics.median(times) * 1000:10.1f}ms {p95 * 1000:8.1f}ms")
            client.close()
        engine.dispose()


if __name__ == "__main__":
    main()
