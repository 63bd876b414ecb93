"""Do the hand-written cues over-fit train.jsonl? Group precision on train and dev, and pruning.

A development-time experiment (issue 4). The cues of config/classifier.toml were written while
reading train.jsonl, so cross-validation on train cannot tell how well they generalise. This
prints, for every cue group, how many posts it fires on and the share of them that are
signals, on train and on dev; then it retrains the model with the cues that fire on fewer than
K train posts removed (K from the command line, 0 = the shipped rules) and prints the CV
figures and dev.jsonl's precision at recall. Dev is read to measure, never to choose: the
shipped rules are not changed by what this prints.

Usage:
    taskset -c 1 .venv/bin/python bench/rule_support.py 0 2 3 5 8
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from classifiers import Document, RuleSet, TrainedClassifier, TrainSettings, load_rules, train
from classifiers.evaluate import score
from classifiers.rules import RuleClassifier, _slug
from classifiers.training import _average_precision
from signals.training import SYNTHETIC_FILE, TRAIN_FILE, read_labeled

REPO = Path(__file__).resolve().parents[1]
DEV_FILE = REPO / "data" / "labeled" / "dev.jsonl"


def documents(records: Sequence[Mapping[str, Any]]) -> list[Document]:
    return [
        Document(str(r["id"]), str(r["text"]), r.get("title"), r.get("context")) for r in records
    ]


def group_table(rules: RuleSet, train_set: list[dict[str, Any]], dev: list[dict[str, Any]]) -> None:
    """Posts each group fires on and the share that are signals, train against dev."""
    matcher = RuleClassifier(rules)
    counts: dict[str, dict[tuple[str, str], list[int]]] = {}
    for name, records in (("train", train_set), ("dev", dev)):
        table: dict[tuple[str, str], list[int]] = collections.defaultdict(lambda: [0, 0])
        for record, hits in zip(records, matcher.find_hits(documents(records)), strict=True):
            for group in {(h.kind, h.group) for h in hits if h.kind != "product"}:
                table[group][0] += 1
                table[group][1] += bool(record["is_signal"])
        counts[name] = table
    print(f"{'group':40}{'train posts':>12}{'signals':>9}{'dev posts':>11}{'signals':>9}")
    for group in sorted(counts["train"], key=lambda g: -counts["train"][g][0]):
        (tn, ts), (dn, ds) = counts["train"][group], counts["dev"].get(group, [0, 0])
        share = f"{ds / dn:9.2f}" if dn else f"{'-':>9}"
        print(f"{':'.join(group):40}{tn:12}{ts / tn:9.2f}{dn:11}{share}")


def pruned(rules: RuleSet, support: Mapping[str, int], k: int) -> tuple[RuleSet, int]:
    """The rules without the score cues that fire on fewer than k train posts (stages kept)."""
    groups, dropped = [], 0
    for g in rules.groups:
        if g.kind == "stage":
            groups.append(g)
            continue
        phrases = tuple(p for p in g.phrases if support[g.rule(_slug(p))] >= k)
        patterns = tuple(p for p in g.patterns if support[g.rule(p.name)] >= k)
        dropped += len(g.phrases) + len(g.patterns) - len(phrases) - len(patterns)
        groups.append(dataclasses.replace(g, phrases=phrases, patterns=patterns))
    return dataclasses.replace(rules, groups=tuple(groups)), dropped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("min_support", type=int, nargs="+", help="0 keeps every cue")
    args = parser.parse_args()
    rules = load_rules(REPO / "config")
    train_set = read_labeled(TRAIN_FILE)
    synthetic = read_labeled(SYNTHETIC_FILE)
    dev = read_labeled(DEV_FILE)
    group_table(rules, train_set, dev)
    support: collections.Counter[str] = collections.Counter()
    for hits in RuleClassifier(rules).find_hits(documents(train_set)):
        support.update({h.rule for h in hits})
    gold = [bool(r["is_signal"]) for r in dev]
    for k in args.min_support:
        rs, dropped = pruned(rules, support, k)
        with tempfile.TemporaryDirectory() as tmp:
            meta = train(train_set + synthetic, rs, Path(tmp) / "model", TrainSettings(seed=0))
            classifier = TrainedClassifier(rs, Path(tmp) / "model")
            docs = documents(dev)
            predicted = [
                c.to_contract(d.id) for c, d in zip(classifier.classify(docs), docs, strict=True)
            ]
        cv = meta["cross_validation"]
        cv_ap = cv["average_precision_by_l2"][str(cv["l2"])]
        report = score(dev, predicted)
        dev_ap = _average_precision(gold, [float(str(p["confidence"])) for p in predicted])
        print(
            f"min support {k}: {dropped} cues dropped; CV AP {cv_ap:.3f} "
            f"P@R0.7 {cv['precision_at_recall']['0.7']:.3f}; dev AP {dev_ap:.3f} "
            f"P@R0.7 {report.precision_at_recall[0.7]:.3f}"
        )


if __name__ == "__main__":
    main()
