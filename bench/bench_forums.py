"""Benchmark: extraction throughput of the forum, mastodon, bluesky and github adapters.

Parses the recorded bodies in tests/fixtures (real pages and API responses, see their
PROVENANCE.md) again and again in one process, on one core, with no network: bytes in, Post
records out. Prints posts per second per adapter (and per forum preset). Usage:
    taskset -c 1 .venv/bin/python bench/bench_forums.py [--seconds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from sources.bluesky import BlueskySource
from sources.forums.extract import parse_page
from sources.github import GitHubSource
from sources.github_discussions import _posts as _discussion_posts
from sources.mastodon import MastodonSource, _original

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"


def _rate(work: Callable[[], int], seconds: float) -> tuple[float, int]:
    """Posts per second of work() run repeatedly for about `seconds`, and the posts per call."""
    per_call = work()  # warm-up, and the count
    calls, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        work()
        calls += 1
    return calls * per_call / elapsed, per_call


def _forum_cases() -> dict[str, Callable[[], int]]:
    cases: dict[str, Callable[[], int]] = {}
    for path in sorted((FIXTURES / "forums").glob("*/*.html")):
        body = path.read_bytes()
        cases[f"forum/{path.parent.name}/{path.stem}"] = lambda body=body: len(
            parse_page(body, "http://127.0.0.1/thread").posts
        )
    return cases


def _mastodon_case() -> Callable[[], int]:
    cassette: Any = yaml.safe_load((FIXTURES / "mastodon/test_public_tl.yaml").read_text())
    body = next(
        i["response"]["body"]["string"].encode()
        for i in cassette["interactions"]
        if i["request"]["method"] == "GET" and "timelines/public" in i["request"]["uri"]
    )
    source = MastodonSource("timeline:public", base_url="http://127.0.0.1")

    def work() -> int:
        statuses = [s for s in map(_original, json.loads(body)) if s is not None]
        return len([source._post(s) for s in statuses])

    return work


def _bluesky_case() -> Callable[[], int]:
    body = (FIXTURES / "bluesky/searchPosts_one_post.derived.json").read_bytes()
    source = BlueskySource("bench", base_url="http://127.0.0.1")

    def work() -> int:
        return len([source._post(v) for v in json.loads(body)["posts"]])

    return work


def _github_case() -> Callable[[], int]:
    body = (FIXTURES / "github/repo_issues_closed_milestone3.json").read_bytes()
    source = GitHubSource("PyGithub/PyGithub", base_url="http://127.0.0.1")

    def work() -> int:
        return len([source._post(i) for i in json.loads(body)])

    return work


def _github_discussions_case() -> Callable[[], int]:
    pages = [
        (FIXTURES / f"github/graphql_discussions_page{n}.json").read_bytes() for n in (1, 2, 3)
    ]
    node = (FIXTURES / "github/graphql_discussion_node_2993.json").read_bytes()

    def work() -> int:
        nodes = [
            n
            for page in pages
            for n in json.loads(page)["data"]["repository"]["discussions"]["nodes"]
        ]
        nodes.append(json.loads(node)["data"]["node"])
        return sum(len(list(_discussion_posts(n, "PyGithub/PyGithub", "gh"))) for n in nodes)

    return work


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per case")
    args = parser.parse_args()
    cases = {
        **_forum_cases(),
        "mastodon/public timeline": _mastodon_case(),
        "bluesky/searchPosts": _bluesky_case(),
        "github/repository issues": _github_case(),
        "github/discussions (GraphQL pages + one with its answer)": _github_discussions_case(),
    }
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    print(f"extraction throughput, one process, CPUs allowed: {cpus}")
    print(f"{'case':58} {'posts/call':>10} {'posts/s':>10}")
    for name, work in cases.items():
        rate, per_call = _rate(work, args.seconds)
        print(f"{name:58} {per_call:>10} {rate:>10,.0f}")


if __name__ == "__main__":
    main()
