"""Helpers for tests of the classifiers package: paths and the labelled posts in data/labeled."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from classifiers import Document

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "config"
LABELED = REPO / "data" / "labeled"


def read_labeled(split: str) -> list[dict[str, Any]]:
    """The records of data/labeled/{split}.jsonl."""
    with (LABELED / f"{split}.jsonl").open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def as_document(record: dict[str, Any]) -> Document:
    """A labelled record as the classifier's input."""
    return Document(id=record["id"], text=record["text"], title=record.get("title"))
