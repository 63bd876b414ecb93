"""Shared fixtures: the shipped rules, one classifier, and the labelled posts in data/labeled."""

from __future__ import annotations

from typing import Any

import pytest
from labeled_posts import CONFIG, read_labeled

from classifiers import RuleClassifier, RuleSet, load_rules


@pytest.fixture(scope="session")
def rules() -> RuleSet:
    return load_rules(CONFIG)


@pytest.fixture(scope="session")
def classifier(rules: RuleSet) -> RuleClassifier:
    return RuleClassifier(rules)


@pytest.fixture(scope="session")
def labeled() -> dict[str, dict[str, Any]]:
    """Every labelled post of train and dev, by id."""
    return {r["id"]: r for split in ("train", "dev") for r in read_labeled(split)}


@pytest.fixture(scope="session")
def dev() -> list[dict[str, Any]]:
    return read_labeled("dev")
