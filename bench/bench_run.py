"""Benchmark: the end-to-end run (fetch, parse, dedupe, classify, store, merge) on bundled posts.

The bundled demo posts are real; to time more than a few hundred of them, each post is served
several times under a different guid (a synthetic replication, for timing only, never data).
Runs pinned to one core; prints posts/s and peak memory. Usage:
    .venv/bin/python bench/bench_run.py [--copies 40] [--feeds 20]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from signals import pipeline
from signals.classifier import load_classifier
from signals.config import load_settings
from signals.demo import DEMO_DATA
from signals.replay import ReplayServer, Route
from signals.store import schema
from signals.store.engine import make_engine
from sources import HttpClient


def _feed(posts: list[dict[str, str]], copy: int) -> bytes:
    items = []
    for post in posts:
        published = format_datetime(
            datetime.fromisoformat(post["published"].replace("Z", "+00:00"))
        )
        paragraphs = "".join(f"<p>{escape(p)}</p>" for p in post["text"].split("\n") if p)
        items.append(
            f"<item><guid isPermaLink='false'>{escape(post['id'])}</guid>"
            f"<title>{escape(post['title'] or '')}</title><link>{escape(post['url'])}</link>"
            f"<author>{escape(post['author'])}</author><pubDate>{published}</pubDate>"
            f"<description>{escape(paragraphs)}</description></item>"
        )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>bench {copy}</title>{''.join(items)}</channel></rss>"
    ).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--copies", type=int, default=40, help="times each post is served")
    parser.add_argument("--feeds", type=int, default=20, help="feeds the copies are spread over")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    posts = [json.loads(line) for line in (DEMO_DATA / "posts.jsonl").read_text().splitlines()]
    routes = {}
    for feed in range(args.feeds):
        copies = range(feed, args.copies, args.feeds)
        merged = [p | {"id": f"{p['id']}#{c}"} for c in copies for p in posts]
        routes[f"/feed{feed}.xml"] = Route(body=_feed(merged, feed))
    total = len(posts) * args.copies
    with ReplayServer(routes) as server, tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        lines = ["[http]", 'allow_hosts = ["127.0.0.1"]']
        for name in routes:
            lines += [
                "[[sources]]",
                f'name = "{name}"',
                'kind = "rss"',
                f'url = "{server.url(name)}"',
            ]
        (directory / "signals.toml").write_text("\n".join(lines))
        settings = load_settings(directory)
        engine = make_engine(f"sqlite:///{directory / 'bench.db'}")
        schema.upgrade(engine)
        classifier = load_classifier(directory)
        pipeline.sync_sources(engine, settings.sources)
        started = time.perf_counter()
        with HttpClient(settings.http) as http:
            report = pipeline.run(engine, http, classifier)
        seconds = time.perf_counter() - started
    assert report.new_posts == total, (report.new_posts, total)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "posts": total,
        "seconds": round(seconds, 2),
        "posts_per_second": round(total / seconds),
        "signals": report.classify.signals if report.classify else 0,
        "peak_rss_mib": round(peak_mib, 1),
        "cores": 1,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
