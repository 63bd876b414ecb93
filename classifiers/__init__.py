"""Classifiers: decide whether a post is a buying signal, at which stage, and show the evidence.

Imports nothing from the rest of the product; `signals` builds on it. spaCy is imported only
when `RuleClassifier` is first used, so importing this package stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from classifiers.base import INTENTS, STAGES, Classification, Classifier, Document, Evidence
from classifiers.config import RuleSet, load_rules
from classifiers.errors import ClassifierError, EvaluationError, RulesConfigError
from classifiers.evaluate import EvaluationReport, score

if TYPE_CHECKING:
    from classifiers.rules import RuleClassifier

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
    "RuleClassifier",
    "RuleSet",
    "RulesConfigError",
    "load_rules",
    "score",
]


def __getattr__(name: str) -> object:
    # PEP 562: defer the spaCy import until the rule classifier is actually asked for.
    if name == "RuleClassifier":
        from classifiers.rules import RuleClassifier

        return RuleClassifier
    raise AttributeError(f"module 'classifiers' has no attribute {name!r}")
