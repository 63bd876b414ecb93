"""`signals train` and `signals eval` through the CLI, and training on stored review decisions."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from signals.cli import app
from signals.store import models as db
from signals.store.models_web import ReviewDecision
from signals.training import merge_reviews, review_records, text_key
from tests.conftest import ROOT


def _rows(split: str) -> list[dict[str, Any]]:
    lines = (ROOT / "data" / "labeled" / f"{split}.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def _small_train(tmp_path: Path) -> Path:
    rows = _rows("train")
    subset = [r for r in rows if r["is_signal"]][:25] + [r for r in rows if not r["is_signal"]][:75]
    path = tmp_path / "small.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in subset))
    return path


def test_eval_prints_every_table_and_json(tmp_path: Path) -> None:
    sample = _rows("dev")[:80]
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in sample))
    runner = CliRunner()
    result = runner.invoke(app, ["eval", str(path)])
    assert result.exit_code == 0, result.stderr
    for heading in (
        "is_signal",
        "stage:evaluate",
        "intent:comparison",
        "confusion",
        "precision at recall",
        "R0.7",
        "calibration",
    ):
        assert heading in result.stdout
    result = runner.invoke(app, ["eval", str(path), "--json"])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["n"] == 80
    assert report["model_version"].startswith("textcat-")
    assert set(report["precision_at_recall"]) == {"0.5", "0.6", "0.7", "0.8", "0.9"}
    assert sum(b["n"] for b in report["calibration"]) == 80
    signal = report["is_signal"]
    assert signal["tp"] + signal["fn"] == sum(r["is_signal"] for r in sample)


def test_eval_reports_each_source_of_a_mixed_file(tmp_path: Path) -> None:
    sample = _rows("dev")[:90]
    mixed = [{**r, "source": "github" if i % 3 == 0 else "reddit"} for i, r in enumerate(sample)]
    path = tmp_path / "mixed.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in mixed))
    text = CliRunner().invoke(app, ["eval", str(path)])
    assert text.exit_code == 0, text.stderr
    lines = [line for line in text.stdout.splitlines() if line.startswith("source ")]
    assert [line.split(":")[0] for line in lines] == ["source github", "source reddit"]
    assert lines[0].startswith("source github: 30 posts, ")
    as_json = json.loads(CliRunner().invoke(app, ["eval", str(path), "--json"]).stdout)
    parts = as_json["by_source"]
    assert parts["github"]["n"] + parts["reddit"]["n"] == as_json["n"] == 90
    signals = sum(part["is_signal"]["support"] for part in parts.values())
    assert signals == as_json["is_signal"]["support"]
    path.write_text("".join(json.dumps({**r, "source": "reddit"}) + "\n" for r in sample))
    single = CliRunner().invoke(app, ["eval", str(path), "--json"])
    assert "by_source" not in json.loads(single.stdout)  # one source: nothing to split


def test_eval_of_an_unlabelled_file_is_one_error_line(tmp_path: Path) -> None:
    path = tmp_path / "plain.jsonl"
    path.write_text(json.dumps({"id": "1", "text": "hello"}) + "\n")
    result = CliRunner().invoke(app, ["eval", str(path)])
    assert result.exit_code == 2
    assert (
        result.stderr.startswith("error: ") and '"is_signal" must be true or false' in result.stderr
    )
    assert result.stderr.count("\n") == 1


def test_a_labelled_post_with_a_bad_source_is_one_error_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"id": "1", "text": "hi", "is_signal": False, "source": 7}) + "\n")
    result = CliRunner().invoke(app, ["eval", str(path)])
    assert result.exit_code == 2
    assert f'{path}:1: "source" must be a string or null' in result.stderr
    assert result.stderr.count("\n") == 1


def test_train_writes_a_model_that_eval_and_classify_use(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "model"
    data = _small_train(tmp_path)
    result = runner.invoke(app, ["train", "--out", str(out), "--seed", "3", "--data", str(data)])
    assert result.exit_code == 0, result.stderr
    meta = json.loads((out / "meta.json").read_text())
    assert meta["trained_on"]["posts"] == 100
    assert meta["settings"]["seed"] == 3
    assert f"model {meta['version']} written" in result.stderr
    assert "cross-validation: is_signal precision" in result.stderr
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(r) + "\n" for r in _rows("dev")[:20]))
    result = runner.invoke(app, ["eval", str(gold), "--model", str(out), "--json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["model_version"] == meta["version"]


def test_classify_uses_a_configured_model_path(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    for name in ("classifier.toml", "products.toml", "signals.toml"):
        (config / name).write_text((ROOT / "config" / name).read_text())
    toml = config / "classifier.toml"
    toml.write_text(toml.read_text().replace('path = ""', 'path = "missing-model"', 1))
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": 1, "text": "Alternatives to Jira?"}) + "\n")
    result = CliRunner().invoke(app, ["--config", str(config), "classify", str(source)])
    assert result.exit_code == 2
    assert f"{config / 'missing-model'}: no model here" in result.stderr


def _store_reviews(engine: Engine, decisions: list[tuple[int, str, bool, str]]) -> None:
    """Posts and review decisions, as the review screen stores them."""
    dev = _rows("dev")
    with Session(engine) as session:
        source = db.Source(name="s", kind="rss")
        session.add(source)
        session.flush()
        assert source.id is not None
        for post_id, title, body in [
            (1, "Moving off Freshdesk", "We need a new helpdesk for 12 agents, what do you use?"),
            (2, dev[0]["title"], "  " + dev[0]["text"].upper() + " "),  # an evaluation post
            (3, "Weekend photos", "Some pictures from the lake."),
        ]:
            session.add(
                db.Post(
                    id=post_id,
                    source_id=source.id,
                    external_id=str(post_id),
                    title=title,
                    text=body,
                )
            )
        session.commit()
    with Session(engine) as session:
        for post_id, decision, is_signal, at in decisions:
            session.add(
                ReviewDecision(
                    post_id=post_id,
                    decision=decision,
                    is_signal=is_signal,
                    stage="evaluate" if is_signal else None,
                    intents=["migration"] if is_signal else [],
                    products=["Freshdesk"],
                    decided_at=datetime.fromisoformat(at).replace(tzinfo=UTC),
                )
            )
        session.commit()


def test_reviews_become_training_records_latest_decision_wins(engine: Engine) -> None:
    assert review_records(engine) == []  # no decisions yet: nothing, no error
    _store_reviews(
        engine,
        [
            (1, "reject", False, "2026-01-02 00:00:00"),
            (1, "relabel", True, "2026-01-03 00:00:00"),
            (2, "accept", True, "2026-01-02 00:00:00"),
            (3, "spam", True, "2026-01-02 00:00:00"),
        ],
    )
    records = {r["id"]: r for r in review_records(engine)}
    assert set(records) == {"review:1", "review:2", "review:3"}
    assert records["review:1"]["is_signal"] is True
    assert records["review:1"]["intents"] == ["migration"]
    assert records["review:1"]["products"] == ["Freshdesk"]
    assert records["review:1"]["source"] == "rss"  # the kind travels: GitHub reviews train as such
    assert records["review:3"]["is_signal"] is False  # spam is never a signal
    merged, skipped = merge_reviews([], list(records.values()), _rows("dev"))
    assert skipped == 1  # post 2 is an evaluation post, re-spaced and upper-cased
    assert {r["id"] for r in merged} == {"review:1", "review:3"}


def test_text_key_ignores_case_and_spacing() -> None:
    assert text_key("A  Title", "Some\n text ") == text_key("a title", "some text")
    assert text_key("A title", "some text") != text_key("A title", "other text")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_train_with_reviews_adds_them(engine: Engine, database_url: str, tmp_path: Path) -> None:
    _store_reviews(engine, [(1, "accept", True, "2026-01-02 00:00:00")])
    out = tmp_path / "model"
    result = CliRunner().invoke(
        app,
        [
            "--db",
            database_url,
            "train",
            "--out",
            str(out),
            "--with-reviews",
            "--data",
            str(_small_train(tmp_path)),
        ],
    )
    assert result.exit_code == 0, result.stderr
    assert "reviews: 1 added, 0 skipped" in result.stderr
    meta = json.loads((out / "meta.json").read_text())
    assert meta["trained_on"]["posts"] == 101
    assert meta["trained_on"]["signals"] == 26
