"""`signals train` and `signals eval`: labelled data in, a model directory or a report out."""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from signals.app import AppContext
from signals.errors import InputError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from classifiers.evaluate import EvaluationReport

# The labelled posts of a source checkout (not installed with the wheel: training is a
# development step, classifying is not).
LABELED = Path(__file__).resolve().parents[1] / "data" / "labeled"
TRAIN_FILE = LABELED / "train.jsonl"
# Hand-written posts marked synthetic: extra textcat training text only (see its PROVENANCE.md).
SYNTHETIC_FILE = LABELED.parent / "synthetic" / "train_synthetic.jsonl"
# Real posts labelled later, from other origins than train.jsonl's (their PROVENANCE.md):
# trained on by default, except the held-out files, which only ever measure.
ADDED = LABELED / "added"
ADDED_TRAIN_FILES = tuple(
    ADDED / f"{name}.jsonl" for name in ("reddit", "hackernews", "github_issues_forums")
)
EVAL_FILES = (
    LABELED / "dev.jsonl",
    ADDED / "github_issues_heldout.jsonl",
    ADDED / "github_issues_heldout2.jsonl",
)


def default_training_files() -> list[Path]:
    """What `signals train` trains on without --data: the labelled real posts and synthetic."""
    files = [TRAIN_FILE, *ADDED_TRAIN_FILES, SYNTHETIC_FILE]
    return [path for path in files if path == TRAIN_FILE or path.is_file()]


_SHAPE = 'each line must be a labelled post like {"id", "title", "text", "is_signal", ...}'


def read_labeled(path: Path) -> list[dict[str, Any]]:
    """The records of a labelled JSON Lines file (data/LABELING.md); InputError names a bad line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file; give a labelled JSON Lines file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read it ({exc}); save it as UTF-8 JSON Lines") from None
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{number}: not valid JSON ({exc.msg}); {_SHAPE}") from None
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            raise InputError(f'{path}:{number}: needs a "text" string; {_SHAPE}')
        if not isinstance(record.get("is_signal"), bool):
            raise InputError(f'{path}:{number}: "is_signal" must be true or false; {_SHAPE}')
        for key in ("title", "context", "source"):
            if record.get(key) is not None and not isinstance(record[key], str):
                raise InputError(f'{path}:{number}: "{key}" must be a string or null; {_SHAPE}')
        record.setdefault("id", f"{path.name}:{number}")
        records.append(record)
    return records


def text_key(title: str | None, text: str) -> str:
    """A hash of the normalised title and text: the same post, however it was re-spaced or cased."""
    joined = f"{title or ''}\n{text}".lower()
    return hashlib.sha256(re.sub(r"\s+", " ", joined).strip().encode()).hexdigest()


def review_records(engine: Engine) -> list[dict[str, Any]]:
    """The latest review decision of each reviewed post (the review screen's), as a record."""
    from sqlalchemy import text

    query = text(
        """
        SELECT d.post_id, d.decision, d.is_signal, d.stage, d.intents, d.products,
               p.title, p.text, parent.title AS parent_title, parent.text AS parent_text,
               s.kind AS source
        FROM review_decisions d
        JOIN posts p ON p.id = d.post_id
        JOIN sources s ON s.id = p.source_id
        LEFT JOIN posts parent ON parent.id = p.parent_id
        ORDER BY d.post_id, d.decided_at, d.id
        """
    )
    latest: dict[int, dict[str, Any]] = {}
    with engine.connect() as connection:
        for found in connection.execute(query).mappings():
            latest[found["post_id"]] = dict(found)  # ordered by time: the last one wins
    records = []
    for post_id, row in latest.items():
        is_signal = bool(row["is_signal"]) and row["decision"] != "spam"
        context = None
        if row["parent_text"] is not None:
            context = "\n\n".join(t for t in (row["parent_title"], row["parent_text"]) if t)
        records.append(
            {
                "id": f"review:{post_id}",
                "title": row["title"],
                "text": row["text"],
                "context": context,
                "source": row["source"],
                "is_signal": is_signal,
                "stage": row["stage"] if is_signal else None,
                "intents": _json_list(row["intents"]) if is_signal else [],
                "products": _json_list(row["products"]),
            }
        )
    return records


def merge_reviews(
    records: list[dict[str, Any]],
    reviews: Iterable[dict[str, Any]],
    held_out: Iterable[Mapping[str, Any]],
) -> tuple[list[dict[str, Any]], int]:
    """Training records plus the reviews that are neither evaluation posts nor already there."""
    seen = {text_key(r.get("title"), r["text"]) for r in (*records, *held_out)}
    added = []
    skipped = 0
    for review in reviews:
        key = text_key(review.get("title"), review["text"])
        if key in seen:
            skipped += 1
            continue
        seen.add(key)
        added.append(review)
    return records + added, skipped


def train_command(
    context: AppContext,
    out: Path | None,
    seed: int,
    with_reviews: bool,
    data: list[Path],
) -> None:
    """Train a model directory from labelled files (and reviews), print its CV figures."""
    from classifiers import TrainSettings, load_rules, train
    from classifiers.config import load_model_settings
    from signals.classifier import rules_dir

    config_dir = rules_dir(context.settings.directory)
    files = data or default_training_files()
    records = [r for path in files for r in read_labeled(path)]
    if with_reviews:
        held_out = [r for path in EVAL_FILES if path.is_file() for r in read_labeled(path)]
        before = len(records)
        records, skipped = merge_reviews(records, review_records(context.engine), held_out)
        typer_echo(
            f"reviews: {len(records) - before} added, "
            f"{skipped} skipped as duplicates of training or evaluation posts"
        )
    # Never into the bundled configuration (inside the installed package): into the user's.
    target = out or load_model_settings(config_dir).path or context.settings.directory / "model"
    meta = train(records, load_rules(config_dir), target, TrainSettings(seed=seed))
    cv = meta["cross_validation"]
    typer_echo(f"model {meta['version']} written to {target}")
    typer_echo(
        f"trained on {meta['trained_on']['posts']} posts ({meta['trained_on']['signals']} signals)"
    )
    typer_echo(
        f"{meta['settings']['folds']}-fold cross-validation: is_signal precision "
        f"{cv['precision']:.3f} recall {cv['recall']:.3f} at threshold {cv['threshold']}; "
        f"stage accuracy {cv['stage_accuracy']:.3f}"
    )
    points = "  ".join(
        f"R{k}: {'n/a' if v is None else f'{v:.3f}'}" for k, v in cv["precision_at_recall"].items()
    )
    typer_echo(f"precision at recall: {points}")
    typer_echo(
        f'to use it: set [trained] path = "{target}" and threshold = {cv["threshold"]} '
        f"in {config_dir / 'classifier.toml'}"
    )


def eval_command(context: AppContext, file: str, model: Path | None, as_json: bool) -> None:
    """Classify a labelled file and print how the predictions compare with its labels."""
    from classifiers import Document, score
    from signals.classifier import load_classifier

    records = read_labeled(Path(file))
    if not records:
        raise InputError(f"{file}: no labelled posts in it; {_SHAPE}")
    classifier = load_classifier(context.settings.directory, model)
    docs = [
        Document(str(r["id"]), r["text"], r.get("title"), r.get("context"), r.get("source"))
        for r in records
    ]
    predicted = [c.to_contract(d.id) for d, c in zip(docs, classifier.classify(docs), strict=True)]
    gold = [{**r, "id": str(r["id"])} for r in records]
    report = score(gold, predicted)
    by_source = _by_source(gold, predicted)
    if as_json:
        out = {"model_version": classifier.model_version, **report.to_dict()}
        if by_source:
            out["by_source"] = {k: v.to_dict() for k, v in by_source.items()}
        sys.stdout.write(json.dumps(out, indent=1) + "\n")
    else:
        sys.stdout.write(f"model {classifier.model_version} on {file}\n{report.to_text()}\n")
        for source, part in by_source.items():
            counts = part.signal
            sys.stdout.write(
                f"source {source}: {part.n} posts, {counts.support} signals, "
                f"{counts.tp + counts.fp} flagged ({counts.tp} right): is_signal "
                f"P {counts.precision:.3f} R {counts.recall:.3f} F1 {counts.f1:.3f}\n"
            )


def _by_source(
    gold: Sequence[Mapping[str, Any]], predicted: Sequence[Mapping[str, object]]
) -> dict[str, EvaluationReport]:
    """A report per `source` of the labelled posts, when they come from more than one."""
    from classifiers import score
    from classifiers.evaluate import indices_by_source

    groups = indices_by_source(gold)
    if len(groups) < 2:
        return {}
    return {
        source: score([gold[i] for i in members], [predicted[i] for i in members])
        for source, members in groups.items()
    }


def typer_echo(line: str) -> None:
    """One line of progress on stderr (stdout stays clean for --json output)."""
    sys.stderr.write(line + "\n")


def _json_list(value: object) -> list[str]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return []
    return [str(v) for v in value] if isinstance(value, list) else []
