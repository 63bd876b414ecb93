"""Which classifier the product runs, built from the configuration directory."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from signals.config import bundled_config_dir

if TYPE_CHECKING:
    from classifiers import Classifier

RULE_FILES = ("classifier.toml", "products.toml")


def rules_dir(config_dir: Path) -> Path:
    """The directory whose rule files are used: config_dir when it has them, else the bundled."""
    has_rules = all((config_dir / name).is_file() for name in RULE_FILES)
    return config_dir if has_rules else bundled_config_dir()


def load_classifier(config_dir: Path, model_dir: Path | None = None) -> Classifier:
    """The trained classifier of classifier.toml's [trained] table (or model_dir), else the rules.

    With no [trained] path the model packaged with the project runs, so a fresh install
    classifies with no training step; `use = false` runs the rules alone.
    """
    from classifiers import RuleClassifier, TrainedClassifier, load_rules
    from classifiers.config import load_model_settings

    directory = rules_dir(config_dir)
    rules = load_rules(directory)
    settings = load_model_settings(directory)
    if model_dir is None and not settings.use:
        return RuleClassifier(rules)
    if model_dir is not None:
        return TrainedClassifier(rules, model_dir, threshold=settings.threshold)
    if settings.path is not None:
        return TrainedClassifier(rules, settings.path, threshold=settings.threshold)
    return TrainedClassifier(rules, threshold=settings.threshold)
