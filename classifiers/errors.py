"""Errors raised by classifiers.

ClassifierError              root: anything that stops a classifier from being built or run
 +-- RulesConfigError        classifier.toml or products.toml is missing or wrong
                             (one line: the file, the key, and the fix)
 +-- EvaluationError         gold labels and predictions cannot be paired up
 +-- ModelError              a trained model directory is missing, incomplete or unreadable,
                             or training data cannot be used
"""

from __future__ import annotations


class ClassifierError(Exception):
    """Root of everything that stops a classifier from being built or run."""


class RulesConfigError(ClassifierError):
    """The rule configuration is missing or wrong; the one-line message names file, key and fix."""

    def __init__(self, path: str, key: str | None, problem: str) -> None:
        where = f"{path}: {key} " if key else f"{path}: "
        # One line, always: TOML parse errors and user values may carry newlines.
        super().__init__(" ".join(f"{where}{problem}".split()))
        self.path = path
        self.key = key


class EvaluationError(ClassifierError):
    """Gold labels and predictions do not describe the same posts."""


class ModelError(ClassifierError):
    """A trained model cannot be loaded or trained; the message names the directory and the fix."""
