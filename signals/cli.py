"""The `signals` command line. Heavy modules are imported inside commands so --help stays fast."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from signals import __version__
from signals.app import AppContext


class _Group(TyperGroup):
    """Turns user mistakes into one `error: ...` line and a non-zero exit, never a traceback."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            result = super().main(*args, **kwargs)
            # Without standalone mode click returns a command's Exit code instead of exiting.
            if isinstance(result, int) and result:
                sys.exit(result)
            return result
        except typer.Exit as exc:
            sys.exit(exc.exit_code)
        except typer.Abort:
            typer.echo("error: interrupted", err=True)
            sys.exit(130)
        except typer.TyperException as exc:  # usage errors, from typer's own click
            if type(exc).__name__ == "NoArgsIsHelpError":
                typer.echo(exc.ctx.get_help() if exc.ctx else "", err=False)  # type: ignore[attr-defined]
                sys.exit(0)
            context = getattr(exc, "ctx", None)
            path = " ".join(["signals", *context.command_path.split()[1:]]) if context else ""
            where = f" (see `{path} --help`)" if context else ""
            message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
            typer.echo(f"error: {message}{where}", err=True)
            sys.exit(getattr(exc, "exit_code", 2))
        except Exception as exc:
            if _is_user_error(exc):
                typer.echo(f"error: {exc}", err=True)
                sys.exit(2)
            raise


def _is_user_error(exc: Exception) -> bool:
    # Imported only when something failed: by then these modules are loaded anyway.
    from classifiers import ClassifierError
    from signals.errors import SignalsError
    from sources import SourceError

    return isinstance(exc, SignalsError | SourceError | ClassifierError)


app = typer.Typer(
    cls=_Group,
    help="Find buyers evaluating products in forums, feeds and social posts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"signals {__version__}")
        raise typer.Exit()


@app.callback()
def _global_options(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="SIGNALS_DATABASE_URL",
            help="Database URL or SQLite file path [default: signals.db in the user data dir].",
            show_envvar=True,
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            envvar="SIGNALS_CONFIG",
            help="Configuration directory [default: the user config dir, else the bundled one].",
            show_envvar=True,
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    ctx.obj = AppContext(db_option=db, config_option=config)


SourceNames = Annotated[
    list[str] | None, typer.Option("--source", "-s", help="Only this source (repeatable).")
]


@app.command()
def init(
    directory: Annotated[
        Path | None, typer.Argument(help="Where to write it [default: the user config dir].")
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite existing files.")] = False,
) -> None:
    """Write a starter configuration (sources, HTTP settings, classifier rules, products)."""
    from signals.starter import write_starter_config

    target = write_starter_config(directory, force=force)
    typer.echo(f"wrote a starter configuration to {target}; edit signals.toml to add sources")


@app.command()
def crawl(ctx: typer.Context, source: SourceNames = None) -> None:
    """Fetch every enabled source and store new posts (no classification)."""
    from signals.commands import crawl_command

    raise typer.Exit(crawl_command(ctx.obj, source or []))


@app.command()
def run(ctx: typer.Context, source: SourceNames = None) -> None:
    """Fetch, skip seen posts, classify, store signals and merge activity onto contacts."""
    from signals.commands import run_command

    raise typer.Exit(run_command(ctx.obj, source or []))


@app.command("list")
def list_signals(
    ctx: typer.Context,
    intent: Annotated[str | None, typer.Option(help="Only signals with this intent.")] = None,
    stage: Annotated[str | None, typer.Option(help="Only signals at this buyer stage.")] = None,
    source: Annotated[str | None, typer.Option(help="Only signals from this source.")] = None,
    since: Annotated[
        str | None, typer.Option(help="Only posts published at or after this ISO date.")
    ] = None,
    min_confidence: Annotated[float, typer.Option(min=0.0, max=1.0)] = 0.0,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines instead of a table.")] = False,
) -> None:
    """Show recent signals, newest first."""
    from signals.commands import list_command

    list_command(ctx.obj, intent, stage, source, since, min_confidence, limit, as_json)


@app.command()
def classify(
    ctx: typer.Context,
    file: Annotated[
        str, typer.Argument(help="JSON Lines of {id, title?, text, context?}; - reads stdin.")
    ],
) -> None:
    """Classify posts from a file; one JSON line per input on stdout."""
    from signals.classify_file import classify_command

    classify_command(ctx.obj, file)


@app.command()
def fetch(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help="Adapter kind, e.g. rss.")],
    target: Annotated[str, typer.Argument(help="What to read, e.g. a feed URL.")],
    base_url: Annotated[
        str | None, typer.Option(help="Replace the service's API root (a local server).")
    ] = None,
    allow_host: Annotated[
        list[str] | None,
        typer.Option(help="Let this run reach a private address such as 127.0.0.1 (repeatable)."),
    ] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Stop after N posts.")] = None,
    preset: Annotated[
        str | None, typer.Option(help="forum: force the board software, e.g. phpbb.")
    ] = None,
) -> None:
    """Print the posts one adapter yields, as JSON Lines, touching no store."""
    from signals.commands import fetch_command

    raise typer.Exit(
        fetch_command(ctx.obj, kind, target, base_url, allow_host or [], limit, preset)
    )


@app.command()
def demo(
    ctx: typer.Context,
    keep: Annotated[
        Path | None,
        typer.Option(help="Keep the demo database at this path instead of a temp file."),
    ] = None,
) -> None:
    """Serve bundled real posts from a local server, run the whole pipeline, show what it found."""
    from signals.demo import run_demo

    run_demo(keep)


# Command groups of each area register themselves; their heavy imports stay inside the commands.
from signals import cli_classifier, cli_delivery, cli_people, cli_sources, cli_web  # noqa: E402

cli_sources.register(app)
cli_classifier.register(app)
cli_people.register(app)
cli_delivery.register(app)
cli_web.register(app)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="signals")
