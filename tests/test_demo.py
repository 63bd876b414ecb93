"""`signals demo` end to end: offline, through the rss, reddit and discourse adapters."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import text
from typer.testing import CliRunner

from signals.cli import app
from signals.store.engine import make_engine


def test_demo_runs_offline_and_finds_signals_through_three_adapters(tmp_path: Path) -> None:
    database = tmp_path / "demo.db"
    result = CliRunner().invoke(app, ["demo", "--keep", str(database)])
    assert result.exit_code == 0, result.output
    found = re.search(r"(\d+) posts seen, (\d+) buying signals found", result.output)
    assert found and int(found[1]) == 101 and int(found[2]) >= 10, result.output
    engine = make_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:
            kinds = dict(
                connection.execute(
                    text(
                        "SELECT s.kind, count(DISTINCT g.id) FROM signals g "
                        "JOIN posts p ON p.id = g.post_id JOIN sources s ON s.id = p.source_id "
                        "GROUP BY s.kind"
                    )
                ).all()
            )
    finally:
        engine.dispose()
    # Signals were found among the posts each of the three adapters read.
    assert set(kinds) == {"rss", "reddit", "discourse"}, kinds
