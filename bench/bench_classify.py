"""Benchmark: the trained classifier on 150-word posts, one core.

Prints three figures against the targets of issue 4:
- the cheap pass (tokenise, PhraseMatcher, bag-of-words textcat, cheap combiner) in posts/s;
- the whole `signals classify FILE.jsonl` command, start-up and JSON included, in posts/s;
- the peak memory (max RSS) of that command, in MiB.

The posts are real labelled posts from data/labeled, each cut or extended to exactly 150
words by continuing with the next posts' words (a synthetic stitching, for timing only, never
data); one in three is a comment carrying its thread opener as context. Usage:
    taskset -c 1 .venv/bin/python bench/bench_classify.py [--posts 20000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from classifiers import Document, TrainedClassifier, load_rules

REPO = Path(__file__).resolve().parents[1]
WORDS = 150


def posts(count: int) -> list[dict[str, str]]:
    """`count` posts of exactly 150 words, every third one a comment with its opener."""
    rows = [
        json.loads(line)
        for split in ("train", "dev")
        for line in (REPO / "data" / "labeled" / f"{split}.jsonl").read_text().splitlines()
    ]
    stream = [w for r in rows for w in r["text"].split()]
    out = []
    for i in range(count):
        r = rows[i % len(rows)]
        words = r["text"].split()
        if len(words) < WORDS:
            start = (i * 37) % (len(stream) - WORDS)
            words = words + stream[start : start + WORDS - len(words)]
        post = {"id": str(i), "title": r["title"], "text": " ".join(words[:WORDS])}
        if i % 3 == 2:
            opener = rows[(i * 7) % len(rows)]
            post |= {"title": "", "context": f"{opener['title']}\n\n{opener['text']}"}
        out.append(post)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=20000)
    args = parser.parse_args()
    cores = sorted(os.sched_getaffinity(0))
    sample = posts(args.posts)
    docs = [Document(p["id"], p["text"], p.get("title") or None, p.get("context")) for p in sample]
    classifier = TrainedClassifier(load_rules(REPO / "config"))
    list(classifier.cheap_pass(docs[:500]))  # warm the vocabulary, as a long crawl would
    wall, cpu = time.perf_counter(), time.process_time()
    candidates = sum(c >= classifier.files.gate for c in classifier.cheap_pass(docs))
    cheap = _rates(len(docs), wall, cpu)
    wall, cpu = time.perf_counter(), time.process_time()
    found = sum(c.is_signal for c in classifier.classify(docs))
    full = _rates(len(docs), wall, cpu)
    assert found <= candidates

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "posts.jsonl"
        path.write_text("".join(json.dumps(p) + "\n" for p in sample), encoding="utf-8")
        command = [str(Path(sys.executable).with_name("signals")), "classify", str(path)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        elapsed = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = done.stdout.count("\n")
    assert lines == len(sample), done.stderr
    used = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    peak = after.ru_maxrss / 1024
    # Wall-clock rates suffer when other work shares the core; CPU-time rates say what one
    # core of our own would do. Both are printed.
    print(
        f"cores {cores}; {len(sample)} posts of {WORDS} words; {candidates} passed the cheap "
        f"pass's gate, {found} signals"
    )
    print(f"{'':28}{'wall posts/s':>14}{'CPU posts/s':>14}")
    print(f"{'cheap pass (>= 5000)':28}{cheap[0]:>14.0f}{cheap[1]:>14.0f}")
    print(f"{'classify, in process':28}{full[0]:>14.0f}{full[1]:>14.0f}")
    print(
        f"{'signals classify (>= 2000)':28}{lines / elapsed:>14.0f}{lines / used:>14.0f}"
        f"   (start-up included; {elapsed:.1f} s wall, {used:.1f} s CPU)"
    )
    print(f"peak memory of `signals classify`: {peak:.0f} MiB (<= 300)")


def _rates(count: int, wall: float, cpu: float) -> tuple[float, float]:
    return count / (time.perf_counter() - wall), count / (time.process_time() - cpu)


if __name__ == "__main__":
    main()
