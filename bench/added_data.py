"""Do more labelled real posts help? Retraining with them, measured per source and held out.

A development-time experiment (issue 4). FILES are labelled JSON Lines of real posts from
origins other than train.jsonl's (data/labeled/added/). It prints:
1. the packaged model on each file (an honest figure only for files it was not trained on);
2. a model trained on train.jsonl (+ synthetic) against one trained on train.jsonl + FILES
   (+ synthetic): cross-validated figures per source, dev.jsonl's figures and those of every
   --held file (evaluated, never trained on). --config points at other rules to compare.
Dev and the held-out files are read to measure, never to choose.
Usage:
    taskset -c 1 .venv/bin/python bench/added_data.py data/labeled/added/reddit.jsonl \
        data/labeled/added/hackernews.jsonl data/labeled/added/github_issues_forums.jsonl \
        --held data/labeled/added/github_issues_heldout.jsonl
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from classifiers import Document, TrainedClassifier, TrainSettings, load_rules, train
from classifiers.evaluate import score
from classifiers.model import PACKAGED
from classifiers.training import _average_precision
from signals.training import SYNTHETIC_FILE, TRAIN_FILE, read_labeled

REPO = Path(__file__).resolve().parents[1]
DEV_FILE = REPO / "data" / "labeled" / "dev.jsonl"


def figures(classifier: TrainedClassifier, records: Sequence[Mapping[str, Any]]) -> str:
    """Average precision, precision at recall 0.7 and P/R at the model's threshold."""
    docs = [
        Document(str(r["id"]), str(r["text"]), r.get("title"), r.get("context"), r.get("source"))
        for r in records
    ]
    predicted = [c.to_contract(d.id) for c, d in zip(classifier.classify(docs), docs, strict=True)]
    report = score(records, predicted)
    gold = [bool(r["is_signal"]) for r in records]
    ap = _average_precision(gold, [float(str(p["confidence"])) for p in predicted])
    signal = report.signal
    return (
        f"{len(records)} posts, {sum(gold)} signals: AP {ap:.3f} "
        f"P@R0.7 {report.precision_at_recall[0.7] or 0:.3f}; at the threshold "
        f"P {signal.precision:.3f} R {signal.recall:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", type=Path, nargs="+")
    parser.add_argument(
        "--held", type=Path, action="append", default=[], help="evaluate only, never train"
    )
    parser.add_argument("--config", type=Path, default=REPO / "config", help="rules to use")
    args = parser.parse_args()
    rules = load_rules(args.config)
    added = {path.name: read_labeled(path) for path in args.files}
    held = {path.name: read_labeled(path) for path in args.held}
    train_set, synthetic, dev = (read_labeled(p) for p in (TRAIN_FILE, SYNTHETIC_FILE, DEV_FILE))
    packaged = TrainedClassifier(rules, PACKAGED)
    print("packaged model")
    for name, records in added.items():
        print(f"  on {name}: {figures(packaged, records)}")
    every_added = [r for records in added.values() for r in records]
    if len(added) > 1:
        print(f"  on all added posts: {figures(packaged, every_added)}")
    print(f"  on dev.jsonl: {figures(packaged, dev)}")
    for label, real in (("train", train_set), ("train + added", train_set + every_added)):
        with tempfile.TemporaryDirectory() as tmp:
            meta = train(real + synthetic, rules, Path(tmp) / "model", TrainSettings(seed=0))
            classifier = TrainedClassifier(rules, Path(tmp) / "model")
            cv = meta["cross_validation"]
            print(
                f"trained on {label} ({len(real)} real posts): CV AP "
                f"{cv['average_precision_by_l2'][str(cv['l2'])]:.3f} "
                f"P@R0.7 {cv['precision_at_recall']['0.7']:.3f}"
            )
            for source, row in cv["by_source"].items():
                at = row["precision_at_recall"].get("0.7")
                print(
                    f"  CV on {source}: {row['posts']} posts, {row['signals']} signals, "
                    f"AP {row['average_precision']}, P@R0.7 {at}, "
                    f"P {row['precision']} R {row['recall']}"
                )
            print(f"  on dev.jsonl: {figures(classifier, dev)}")
            for name, records in held.items():
                print(f"  on {name}: {figures(classifier, records)}")


if __name__ == "__main__":
    main()
