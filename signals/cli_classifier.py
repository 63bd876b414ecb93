"""`signals train` and `signals eval`: make a classifier model and measure one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add the classifier commands to the `signals` app."""

    @app.command()
    def train(
        ctx: typer.Context,
        out: Annotated[
            Path | None,
            typer.Option(
                help="Model directory to write (default: [trained] path, else model/ in the "
                "config directory)."
            ),
        ] = None,
        seed: Annotated[int, typer.Option(help="Random seed: same seed and data, same model.")] = 0,
        with_reviews: Annotated[
            bool,
            typer.Option(
                "--with-reviews",
                help="Add the stored review decisions (minus posts of the evaluation data).",
            ),
        ] = False,
        data: Annotated[
            list[Path] | None,
            typer.Option(
                help="Labelled JSON Lines to train on (repeatable; default: "
                "data/labeled/train.jsonl, the training files of data/labeled/added/ and "
                "data/synthetic/train_synthetic.jsonl)."
            ),
        ] = None,
    ) -> None:
        """Train the classifier from labelled posts; prints cross-validated figures."""
        from signals.training import train_command

        train_command(ctx.obj, out, seed, with_reviews, data or [])

    @app.command("eval")
    def evaluate(
        ctx: typer.Context,
        file: Annotated[str, typer.Argument(help="Labelled JSON Lines (data/LABELING.md).")],
        model: Annotated[
            Path | None, typer.Option(help="Model directory (default: the configured one).")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    ) -> None:
        """Precision, recall, F1, confusion, precision at recall and calibration on FILE."""
        from signals.training import eval_command

        eval_command(ctx.obj, file, model, as_json)
