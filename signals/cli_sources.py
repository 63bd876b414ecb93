"""`signals sources ...`: list, add, test, health and recheck the configured sources."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add the `sources` sub-commands to the main app."""
    sources = typer.Typer(
        help="Manage sources: list, add, test, health, recheck.",
        no_args_is_help=True,
        rich_markup_mode=None,
    )

    @sources.command("list")
    def list_sources(
        ctx: typer.Context,
        as_json: Annotated[bool, typer.Option("--json", help="JSON Lines.")] = False,
    ) -> None:
        """Configured sources with their kind, settings and crawl state."""
        from signals.sources_admin import list_command

        list_command(ctx.obj, as_json)

    @sources.command("add")
    def add(
        ctx: typer.Context,
        name: Annotated[str, typer.Argument(help="A unique name, e.g. 'r/sysadmin'.")],
        kind: Annotated[str, typer.Argument(help="Adapter kind, e.g. reddit.")],
        setting: Annotated[
            list[str] | None,
            typer.Argument(help='Adapter settings as KEY=VALUE (TOML values: 3, true, "x").'),
        ] = None,
        interval: Annotated[
            float | None, typer.Option(min=1, help="Seconds between crawls by `signals watch`.")
        ] = None,
        test: Annotated[
            bool, typer.Option("--test/--no-test", help="Fetch once before saving.")
        ] = True,
        allow_host: Annotated[
            list[str] | None,
            typer.Option(help="Let the test fetch reach this private host (repeatable)."),
        ] = None,
    ) -> None:
        """Validate a new source, fetch it once, and add it to signals.toml (comments kept)."""
        from signals.sources_admin import add_command

        add_command(ctx.obj, name, kind, setting or [], interval, test, allow_host or [])

    @sources.command("test")
    def test_source(
        ctx: typer.Context,
        name: Annotated[str, typer.Argument(help="A configured source's name.")],
        allow_host: Annotated[
            list[str] | None, typer.Option(help="Let this run reach a private host.")
        ] = None,
    ) -> None:
        """Fetch a configured source once, store nothing, and show what came back."""
        from signals.sources_admin import test_command

        test_command(ctx.obj, name, allow_host or [])

    @sources.command("health")
    def health(
        ctx: typer.Context,
        as_json: Annotated[bool, typer.Option("--json", help="JSON Lines.")] = False,
    ) -> None:
        """Last fetch, last success, last error, consecutive failures and next due time."""
        from signals.sources_admin import health_command

        health_command(ctx.obj, as_json)

    @sources.command("recheck")
    def recheck(
        ctx: typer.Context,
        source: Annotated[
            list[str] | None, typer.Option("--source", "-s", help="Only this source.")
        ] = None,
        limit: Annotated[int, typer.Option(min=1, help="At most this many posts.")] = 500,
    ) -> None:
        """Re-fetch stored posts; erase those deleted at the source (404, 410, [deleted])."""
        from signals.sources_admin import recheck_command

        raise typer.Exit(recheck_command(ctx.obj, source or [], limit))

    app.add_typer(sources, name="sources")

    @app.command("watch")
    def watch(
        ctx: typer.Context,
        source: Annotated[
            list[str] | None, typer.Option("--source", "-s", help="Only this source.")
        ] = None,
        recheck_hours: Annotated[
            float | None,
            typer.Option(min=0.1, help="Also re-check stored posts for deletion every N hours."),
        ] = None,
        deliver: Annotated[
            bool,
            typer.Option(
                "--deliver/--no-deliver",
                help="Send webhooks and alerts for new signals at once (default) or leave them "
                "to `signals deliver`.",
            ),
        ] = True,
    ) -> None:
        """Crawl each source on its interval and classify new posts at once, until stopped."""
        from signals.sources_admin import watch_command

        raise typer.Exit(watch_command(ctx.obj, source or [], recheck_hours, deliver=deliver))
