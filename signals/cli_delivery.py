"""Commands of the delivery area: `signals deliver` and `signals webhooks add|list|resume|test`."""

from __future__ import annotations

from typing import Annotated

import typer

webhooks_app = typer.Typer(
    help="Signed webhooks: add receivers, see their health, resume paused ones, send a test.",
    no_args_is_help=True,
)

AllowHosts = Annotated[
    list[str] | None,
    typer.Option(
        "--allow-host", help="Let this run reach a private address such as 127.0.0.1 (repeatable)."
    ),
]


def register(app: typer.Typer) -> None:
    """Add the delivery commands to the main app."""
    app.command()(deliver)
    app.add_typer(webhooks_app, name="webhooks")


def deliver(
    ctx: typer.Context,
    loop: Annotated[
        bool, typer.Option("--loop", help="Keep running, one pass every outbox.poll_seconds.")
    ] = False,
    allow_host: AllowHosts = None,
) -> None:
    """Queue alerts and webhook events for new signals and stage changes, and send the outbox."""
    from signals.delivery.commands import deliver_command

    raise typer.Exit(deliver_command(ctx.obj, loop, allow_host or []))


@webhooks_app.command("add")
def webhooks_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A short unique name, e.g. crm.")],
    url: Annotated[str, typer.Argument(help="Where events are POSTed.")],
    secret: Annotated[
        str | None, typer.Option(help="Signing secret [default: a new random one, printed once].")
    ] = None,
    event: Annotated[
        list[str] | None,
        typer.Option(
            help="Only this event (repeatable): signal.detected, stage.changed, play.triggered, "
            "contact.identified, account.updated, person.deleted."
        ),
    ] = None,
) -> None:
    """Register a webhook receiver."""
    from signals.delivery.commands import webhooks_add_command

    webhooks_add_command(ctx.obj, name, url, secret, event or [])


@webhooks_app.command("list")
def webhooks_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines instead of a table.")] = False,
) -> None:
    """Show receivers with their state, failures and queued deliveries (never their secrets)."""
    from signals.delivery.commands import webhooks_list_command

    webhooks_list_command(ctx.obj, as_json)


@webhooks_app.command("resume")
def webhooks_resume(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="The paused receiver.")]
) -> None:
    """Unpause a receiver and requeue the deliveries that waited for it."""
    from signals.delivery.commands import webhooks_resume_command

    webhooks_resume_command(ctx.obj, name)


@webhooks_app.command("test")
def webhooks_test(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The receiver to ping.")],
    allow_host: AllowHosts = None,
) -> None:
    """Send a signed webhook.test event now and say what the receiver answered."""
    from signals.delivery.commands import webhooks_test_command

    raise typer.Exit(webhooks_test_command(ctx.obj, name, allow_host or []))
