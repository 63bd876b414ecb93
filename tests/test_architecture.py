"""Dependencies flow one way: signals imports sources and classifiers, never the reverse."""

from __future__ import annotations

import ast
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = {"sources", "classifiers", "signals"}


def _imported_packages(package: str) -> set[str]:
    found: set[str] = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found & OURS


@pytest.mark.parametrize("package", ["sources", "classifiers"])
def test_leaf_packages_import_nothing_of_ours(package: str) -> None:
    assert _imported_packages(package) <= {package}


def test_signals_builds_on_both_leaf_packages() -> None:
    assert _imported_packages("signals") >= {"sources", "classifiers"}


def test_config_directory_holds_data_only() -> None:
    files = [p for p in (ROOT / "config").rglob("*") if p.is_file()]
    assert files
    assert all(p.suffix == ".toml" for p in files)


def test_help_is_fast_and_does_not_import_spacy() -> None:
    probe = (
        "import sys, time\n"
        "from typer.testing import CliRunner\n"
        "from signals.cli import app\n"
        "result = CliRunner().invoke(app, ['--help'])\n"
        "assert result.exit_code == 0, result.output\n"
        "assert 'classify' in result.output\n"
        "heavy = [m for m in ('spacy', 'sqlalchemy', 'httpx', 'feedparser', 'fastapi', 'uvicorn')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
    signals = Path(sys.executable).with_name("signals")
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run([str(signals), "--help"], capture_output=True, check=True)
        timings.append(time.perf_counter() - started)
    assert min(timings) < 0.5, timings
