"""Package boundaries: what `classifiers` imports, and that importing it stays cheap."""

from __future__ import annotations

import ast
import subprocess
import sys

from labeled_posts import REPO


def test_importing_classifiers_does_not_import_spacy() -> None:
    code = "import classifiers, sys; assert 'spacy' not in sys.modules, 'spacy imported'"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_trained_classifier_is_loaded_on_first_use() -> None:
    code = (
        "import classifiers, sys; assert 'numpy' not in sys.modules; "
        "classifiers.TrainedClassifier; assert 'classifiers.model' in sys.modules"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_rule_classifier_is_loaded_on_first_use() -> None:
    code = (
        "import classifiers, sys; classifiers.RuleClassifier; "
        "assert 'spacy' in sys.modules and 'classifiers.rules' in sys.modules"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


# The modules that may import spaCy/thinc at their top; everything else stays light.
# org_hints imports spaCy inside its constructor (kept lazy, checked separately).
SPACY_MODULES = {"rules.py", "textcat.py", "org_hints.py"}


def test_classifiers_imports_nothing_of_ours_and_spacy_only_in_rules_and_textcat() -> None:
    for path in sorted((REPO / "classifiers").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top not in ("sources", "signals"), f"{path.name} imports {name}"
                if top in ("spacy", "thinc"):
                    assert path.name in SPACY_MODULES, f"{path.name} imports {name}"
