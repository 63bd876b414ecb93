"""Reproduce the packaged model: train twice from the repository's data, compare the files.

Trains with the defaults of `signals train` (seed 0, data/labeled/train.jsonl, the added real
posts and the synthetic posts) into two temporary directories and prints whether both are
byte-identical to each other and to classifiers/model/, with the time taken and the
cross-validated figures.
Usage:
    taskset -c 1 .venv/bin/python bench/train_model.py
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from classifiers import TrainSettings, load_rules, train
from classifiers.model import PACKAGED
from signals.training import default_training_files, read_labeled

REPO = Path(__file__).resolve().parents[1]
FILES = ("meta.json", "combiner.json", "evidence.json", "products.json", "textcat/model")


def main() -> None:
    records = [r for path in default_training_files() for r in read_labeled(path)]
    rules = load_rules(REPO / "config")
    with tempfile.TemporaryDirectory() as tmp:
        runs = []
        for name in ("a", "b"):
            started = time.perf_counter()
            meta = train(records, rules, Path(tmp) / name, TrainSettings(seed=0))
            runs.append((meta, time.perf_counter() - started))
        same = all(
            (Path(tmp) / "a" / f).read_bytes() == (Path(tmp) / "b" / f).read_bytes() for f in FILES
        )
        packaged = all(
            (Path(tmp) / "a" / f).read_bytes() == (PACKAGED / f).read_bytes() for f in FILES
        )
    meta = runs[0][0]
    print(f"trained twice in {runs[0][1]:.1f} s and {runs[1][1]:.1f} s: version {meta['version']}")
    print(f"the two runs are byte-identical: {same}")
    print(f"identical to the packaged model in classifiers/model: {packaged}")
    print("cross-validation:", json.dumps(meta["cross_validation"], sort_keys=True))


if __name__ == "__main__":
    main()
