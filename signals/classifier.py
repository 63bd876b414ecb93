"""Which classifier the product runs, built from the configuration directory."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from signals.config import bundled_config_dir

if TYPE_CHECKING:
    from classifiers import Classifier

RULE_FILES = ("classifier.toml", "products.toml")


def load_classifier(config_dir: Path) -> Classifier:
    """The rule classifier, from the config directory's rule files (else the bundled ones)."""
    from classifiers import RuleClassifier, load_rules

    has_rules = all((config_dir / name).is_file() for name in RULE_FILES)
    return RuleClassifier(load_rules(config_dir if has_rules else bundled_config_dir()))
