"""The docs cannot drift: every command of the CLI appears in the README's command table."""

from __future__ import annotations

import typer.main

from signals.cli import app
from tests.conftest import ROOT


def _command_paths() -> list[str]:
    group = typer.main.get_command(app)
    paths: list[str] = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        subcommands = getattr(command, "commands", None)
        if subcommands:
            paths += [f"{name} {sub}" for sub in subcommands]
        else:
            paths.append(name)
    return paths


def test_readme_documents_every_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    paths = _command_paths()
    assert len(paths) > 20
    missing = [
        p for p in paths if f"`signals {p}" not in readme and f"/ `{p.split()[-1]}" not in readme
    ]
    assert missing == []
