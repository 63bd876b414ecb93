"""Benchmark: extraction throughput of the API adapters, from recorded bodies, on one core.

For each adapter two figures, posts per second:
  - extract: the recorded body decoded and mapped to Post records in-process (JSON decoding,
    PRAW objects for Reddit, HTML to text);
  - fetch:   the adapter's whole fetch through the HTTP client against the replay server on
    127.0.0.1 (pacing, guard, decompression, decoding and mapping), server in the same process.
Usage: .venv/bin/python bench/bench_sources.py [--seconds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from signals.replay import ReplayServer, Route
from sources import Cursor, HttpClient, HttpSettings, Post
from sources.discourse import DiscourseSource
from sources.hackernews import HackerNewsSource, _hit_post
from sources.reddit import RedditSource, to_post
from sources.stackexchange import StackExchangeSource

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
SINCE = Cursor(position=json.dumps({"since": 0}))
LOCAL = frozenset({"127.0.0.1"})


def _rate(work: Callable[[], int], seconds: float) -> float:
    """Posts per second of `work` (returns a post count), repeated for about `seconds`."""
    work()  # warm up: imports, caches
    posts, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        posts += work()
    return posts / (time.perf_counter() - started)


def _reddit_listing() -> bytes:
    cassette = json.loads((FIXTURES / "reddit/TestSubredditListings.test_new.json").read_text())
    return str(cassette["interactions"][1]["response"]["body"]["string"]).encode()


def _extract_reddit(body: bytes) -> Callable[[], int]:
    import praw

    reddit = praw.Reddit(
        client_id="bench",
        client_secret="bench",  # noqa: S106 - never sent: nothing is fetched here
        user_agent="bench",
        check_for_updates=False,
    )

    def work() -> int:
        listing = reddit._objector.objectify(data=json.loads(body))
        return len([p for p in map(to_post, listing.children) if p])

    return work


def _extract_hn(body: bytes) -> Callable[[], int]:
    return lambda: len([p for h in json.loads(body)["hits"] if (p := _hit_post(h, "HN"))])


def _extract_se(body: bytes) -> Callable[[], int]:
    source = StackExchangeSource(site="stackoverflow")
    return lambda: len([p for q in json.loads(body)["items"] if (p := source._question(q))])


def _extract_discourse(body: bytes) -> Callable[[], int]:
    source = DiscourseSource(url="https://forum.example")

    def work() -> int:
        topic = json.loads(body)
        raw = topic["post_stream"]["posts"]
        numbers = {p["post_number"]: p["id"] for p in raw}
        posts: list[Post | None] = [
            source._post(p, 57, topic["slug"], topic["title"], numbers, "forum") for p in raw
        ]
        return len([p for p in posts if p])

    return work


def _fetch(source: Any, http: HttpClient) -> Callable[[], int]:
    return lambda: len(source.fetch(http, SINCE).posts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core

    reddit = _reddit_listing()
    hn = (
        FIXTURES / "hackernews/algolia_search__extracted_from_hackernews_test_go.json"
    ).read_bytes()
    se = (FIXTURES / "stackexchange/questions_html.trimmed.json").read_bytes()
    discourse = (FIXTURES / "discourse/topic.json").read_bytes()

    def route(body: bytes) -> Route:
        return Route(body=body, content_type="application/json", conditional=False)

    token = b'{"access_token": "bench", "token_type": "bearer", "expires_in": 3600, "scope": "*"}'
    routes = {
        "/api/v1/access_token": route(token),
        "/r/askreddit/new": route(reddit),
        "/search_by_date": route(hn),
        "/questions": route(se),
        "/t/57.json": route(discourse),
    }
    with ReplayServer(routes) as server, HttpClient(HttpSettings(allow_hosts=LOCAL)) as http:
        root = server.url("")
        adapters = {
            "reddit": (
                _extract_reddit(reddit),
                RedditSource(
                    subreddit="askreddit",
                    comments=False,
                    client_id="b",
                    client_secret="b",  # noqa: S106 - the replay server ignores it
                    oauth_url=root,
                    reddit_url=root,
                ),
            ),
            "hackernews": (_extract_hn(hn), HackerNewsSource(query="x", api_url=root)),
            "stackexchange": (
                _extract_se(se),
                StackExchangeSource(site="stackoverflow", api_url=root, max_pages=1),
            ),
            "discourse": (_extract_discourse(discourse), DiscourseSource(url=root, topic=57)),
        }
        print(f"{'adapter':<14} {'posts/body':>10} {'extract posts/s':>16} {'fetch posts/s':>14}")
        for name, (extract, source) in adapters.items():
            per_body = extract()
            extract_rate = _rate(extract, args.seconds)
            fetch_rate = _rate(_fetch(source, http), args.seconds)
            print(f"{name:<14} {per_body:>10} {extract_rate:>16,.0f} {fetch_rate:>14,.0f}")


if __name__ == "__main__":
    main()
