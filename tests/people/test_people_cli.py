"""People commands: text output, one-line errors, lifecycle set, proposals, config validation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlmodel import col

from signals.config import Settings
from signals.errors import ConfigError
from signals.people.config import load_scoring
from signals.store import models as db
from tests.people.conftest import Invoke, run_pipeline
from tests.people.test_people_worked_example import CSV


def _contact(engine: Engine, handle: str) -> int:
    with Session(engine) as session:
        statement = select(db.Identity).where(col(db.Identity.handle) == handle)
        return session.scalars(statement).one().contact_id


def test_people_commands_end_to_end(engine: Engine, settings: Settings, cli: Invoke) -> None:
    run_pipeline(engine, settings)
    imported = cli("contacts", "import", str(CSV))
    assert imported.exit_code == 0, imported.output
    assert imported.stdout.splitlines()[0] == (
        "1 created, 5 matched, 1 rejected; 1 merged, 1 proposed for review"
    )
    assert "line 7: rejected: e-mail 'not-an-email' is not an address" in imported.stdout

    nora = _contact(engine, "northnodes")
    card = json.loads(cli("contacts", "show", str(nora)).stdout)
    listed = cli("contacts", "list", "--limit", "2")
    assert listed.exit_code == 0, listed.output
    first = listed.stdout.splitlines()[0]
    assert first.split()[:3] == [str(nora), "A2", f"{card['score']:.2f}"]
    assert first.endswith("Nora Wilde (Northwind Supply)")
    explained = cli("explain", str(nora))
    assert explained.exit_code == 0, explained.output
    lines = explained.stdout.splitlines()
    assert lines[0].startswith(f"contact {nora} as of 2013-08-13 12:00 UTC: cell A2 (fit A, 50")
    assert "alternative_seeking" in lines[2]
    assert "https://www.reddit.com/r/smallbusiness/" in lines[2]
    assert "  +20 decision-maker title: committee_role = executive" in lines

    # Sales accepts, then passes her back: every change is recorded with who and why.
    assert cli("lifecycle", "set", str(nora), "SAL", "--actor", "ana").exit_code == 0
    back = cli("lifecycle", "set", str(nora), "Recycled", "--reason", "no budget until Q3")
    assert back.stdout.strip() == f"contact {nora}: SAL -> Recycled"
    shown = json.loads(cli("contacts", "show", str(nora)).stdout)
    changes = [(c["old"], c["new"], c["reason"]) for c in shown["stage_history"]]
    assert changes[-2:] == [
        ("MQL", "SAL", "set by ana"),
        ("SAL", "Recycled", "set by cli: no budget until Q3"),
    ]
    wrong = cli("lifecycle", "set", str(nora), "Hot")
    assert wrong.exit_code == 2
    assert wrong.stderr.strip() == (
        "error: unknown lifecycle stage 'Hot'; use one of MAL, MIL, MQL, SAL, SQL, Won, Recycled"
    )

    tasks = cli("tasks", "--json")
    assert tasks.exit_code == 0, tasks.output
    (task,) = [json.loads(line) for line in tasks.stdout.splitlines()]
    assert (task["contact"], task["action"]) == ("Nora Wilde", "suggest_reply")
    assert task["due_at"] == "2013-08-13T16:00:00+00:00"
    assert task["url"].startswith("https://www.reddit.com/r/smallbusiness/")
    assert cli("tasks", "--status", "done").stdout.strip() == "no done tasks"

    proposals = cli("contacts", "proposals")
    proposal_id = proposals.stdout.split()[0]
    assert "two handles of one platform are never merged automatically" in proposals.stdout
    assert cli("contacts", "reject", proposal_id).exit_code == 0
    assert cli("contacts", "proposals").stdout.strip() == "no open merge proposals"
    again = cli("contacts", "reject", proposal_id)
    assert again.stderr.strip() == f"error: merge proposal {proposal_id} is already rejected"


def test_import_errors_name_the_fix(cli: Invoke, tmp_path: Path, engine: Engine) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("name,emial\nAnn,ann@x.example\n")
    result = cli("contacts", "import", str(bad))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {bad}: unknown column 'emial'; use name, email,")
    missing = cli("contacts", "import", str(tmp_path / "nope.csv"))
    assert missing.stderr.strip() == f"error: {tmp_path / 'nope.csv'}: file not found"
    assert cli("explain", "abc").stderr.strip() == (
        "error: 'abc' is not a contact id; see `signals contacts list`"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("[bands]\nband_1 = 40", "[bands]\nband_1 = 4"), "must be decreasing"),
        (('field = "committee_role"', 'field = "shoe_size"', 1), "field 'shoe_size' is unknown"),
        (("half_life_days = 21", "half_life_days = 0", 1), "half_life_days must be above 0"),
        (("[activity.post]", "[activity.posting]"), r"add an \[activity.post\] table"),
    ],
)
def test_scoring_config_mistakes_name_the_fix(
    tmp_path: Path, change: tuple[object, ...], message: str
) -> None:
    from signals.config import bundled_config_dir

    text = (bundled_config_dir() / "scoring.toml").read_text()
    old, new, *count = change
    assert isinstance(old, str)
    assert isinstance(new, str)
    assert old in text
    (tmp_path / "scoring.toml").write_text(text.replace(old, new, *(int(str(c)) for c in count)))
    with pytest.raises(ConfigError, match=message) as caught:
        load_scoring(tmp_path)
    assert str(caught.value).startswith(str(tmp_path / "scoring.toml"))


def test_plays_config_mistakes_name_the_fix(tmp_path: Path) -> None:
    from signals.config import bundled_config_dir

    text = (bundled_config_dir() / "plays.toml").read_text()
    (tmp_path / "plays.toml").write_text(text.replace('"alert_owner"', '"phone_them"', 1))
    with pytest.raises(ConfigError, match="action 'phone_them' is unknown; known:"):
        load_scoring(tmp_path)
