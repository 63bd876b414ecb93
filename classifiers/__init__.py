"""Classifiers: decide whether a post is a buying signal, at which stage, and show the evidence.

Imports nothing from the rest of the product; `signals` builds on it. spaCy (and numpy) are
imported only when `RuleClassifier`, `TrainedClassifier` or `train` is first used, so importing
this package stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from classifiers.base import INTENTS, STAGES, Classification, Classifier, Document, Evidence
from classifiers.config import RuleSet, load_rules
from classifiers.errors import ClassifierError, EvaluationError, ModelError, RulesConfigError
from classifiers.evaluate import EvaluationReport, score

if TYPE_CHECKING:
    from classifiers.model import TrainedClassifier
    from classifiers.rules import RuleClassifier
    from classifiers.training import TrainSettings, train

__all__ = [
    "INTENTS",
    "STAGES",
    "Classification",
    "Classifier",
    "ClassifierError",
    "Document",
    "EvaluationError",
    "EvaluationReport",
    "Evidence",
    "ModelError",
    "RuleClassifier",
    "RuleSet",
    "RulesConfigError",
    "TrainSettings",
    "TrainedClassifier",
    "load_rules",
    "score",
    "train",
]


def __getattr__(name: str) -> object:
    # PEP 562: defer the spaCy import until the rule classifier is actually asked for.
    if name == "RuleClassifier":
        from classifiers.rules import RuleClassifier

        return RuleClassifier
    if name == "TrainedClassifier":
        from classifiers.model import TrainedClassifier

        return TrainedClassifier
    if name in ("train", "TrainSettings"):
        from classifiers import training

        return getattr(training, name)
    raise AttributeError(f"module 'classifiers' has no attribute {name!r}")
