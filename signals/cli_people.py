"""People commands: contacts, lifecycle, explain, export, forget, export-person (lazy bodies)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

Actor = Annotated[str, typer.Option(help="Who is doing this (kept in the ledger).")]
AsJson = Annotated[bool, typer.Option("--json", help="JSON instead of text.")]
AsOf = Annotated[
    str | None, typer.Option("--as-of", help="Score as of this ISO date, from the activity log.")
]


def register(app: typer.Typer) -> None:
    """Add the people commands to the `signals` app."""
    contacts = typer.Typer(help="Contacts: import, list, merges.", no_args_is_help=True)
    lifecycle = typer.Typer(help="Lifecycle stages (MAL MIL MQL SAL SQL Won Recycled).")
    app.add_typer(contacts, name="contacts")
    app.add_typer(lifecycle, name="lifecycle")

    @contacts.command("import")
    def import_(
        ctx: typer.Context,
        file: Annotated[Path, typer.Argument(help="CSV: name, email, title, company, ...")],
        as_json: AsJson = False,
    ) -> None:
        """Upsert contacts from a CRM CSV; report created, matched and rejected rows."""
        from signals.people.commands import import_command

        import_command(ctx.obj, file, as_json)

    @contacts.command("list")
    def list_(
        ctx: typer.Context,
        limit: Annotated[int, typer.Option(min=1, help="At most this many, hottest first.")] = 50,
        as_of: AsOf = None,
        as_json: Annotated[bool, typer.Option("--json", help="JSON Lines.")] = False,
    ) -> None:
        """Contacts by activity score, with their matrix cell and stages."""
        from signals.people.commands import list_command

        list_command(ctx.obj, limit, as_of, as_json)

    @contacts.command("show")
    def show(ctx: typer.Context, contact: Annotated[str, typer.Argument()]) -> None:
        """One contact as JSON: card, identities, inferred attributes, stage history."""
        from signals.people.commands import show_command

        show_command(ctx.obj, contact)

    @contacts.command("proposals")
    def proposals(
        ctx: typer.Context,
        status: Annotated[str, typer.Option(help="open, approved or rejected.")] = "open",
    ) -> None:
        """Merge proposals waiting for a reviewer."""
        from signals.people.commands import proposals_command

        proposals_command(ctx.obj, status)

    @contacts.command("approve")
    def approve(ctx: typer.Context, proposal: int, actor: Actor = "cli") -> None:
        """Approve a merge proposal: the two contacts become one (reversible)."""
        from signals.people.commands import decide_command

        decide_command(ctx.obj, proposal, True, actor)

    @contacts.command("reject")
    def reject(ctx: typer.Context, proposal: int, actor: Actor = "cli") -> None:
        """Reject a merge proposal: the pair goes on the no-merge list."""
        from signals.people.commands import decide_command

        decide_command(ctx.obj, proposal, False, actor)

    @contacts.command("merge")
    def merge(
        ctx: typer.Context,
        keep: str,
        other: str,
        reason: Annotated[str, typer.Option(help="Why they are one person.")],
        actor: Actor = "cli",
    ) -> None:
        """Merge contact OTHER into KEEP by hand (written to the merge ledger)."""
        from signals.people.commands import merge_command

        merge_command(ctx.obj, keep, other, reason, actor)

    @contacts.command("unmerge")
    def unmerge(ctx: typer.Context, contact: str, actor: Actor = "cli") -> None:
        """Undo the latest merge of a contact, from the merge ledger."""
        from signals.people.commands import unmerge_command

        unmerge_command(ctx.obj, contact, actor)

    @contacts.command("rescore")
    def rescore(ctx: typer.Context) -> None:
        """Recompute every contact's score from the activity log."""
        from signals.people.commands import rescore_command

        rescore_command(ctx.obj)

    @lifecycle.command("set")
    def lifecycle_set(
        ctx: typer.Context,
        contact: str,
        stage: Annotated[str, typer.Argument(help="MAL MIL MQL SAL SQL Won Recycled")],
        reason: Annotated[str, typer.Option(help="Why (kept with the change).")] = "",
        actor: Actor = "cli",
    ) -> None:
        """Set a contact's lifecycle stage (e.g. SAL when sales accepts, Recycled to pass back)."""
        from signals.people.commands import lifecycle_set_command

        lifecycle_set_command(ctx.obj, contact, stage, reason, actor)

    @app.command()
    def tasks(
        ctx: typer.Context,
        status: Annotated[str, typer.Option(help="open, done or dismissed.")] = "open",
        as_json: Annotated[bool, typer.Option("--json", help="JSON Lines.")] = False,
    ) -> None:
        """Tasks the nurture plays made, soonest deadline first."""
        from signals.people.commands import tasks_command

        tasks_command(ctx.obj, status, as_json)

    @app.command()
    def explain(
        ctx: typer.Context, contact: str, as_of: AsOf = None, as_json: AsJson = False
    ) -> None:
        """Which activities (link, quote, weight, decay, points) and fit rules make a score."""
        from signals.people.commands import explain_command

        explain_command(ctx.obj, contact, as_of, as_json)

    @app.command("export")
    def export(
        ctx: typer.Context,
        fmt: Annotated[
            str, typer.Option("--format", help="segment, hubspot-csv or mautic-csv.")
        ] = "segment",
        since: Annotated[
            str | None, typer.Option(help="Only activity at or after this ISO date.")
        ] = None,
    ) -> None:
        """Activity for scoring engines: Segment JSON Lines or HubSpot / Mautic CSV, to stdout."""
        from signals.people.commands import export_command

        export_command(ctx.obj, fmt, since)

    @app.command()
    def forget(
        ctx: typer.Context,
        person: Annotated[str, typer.Argument(help="Contact id, e-mail or PLATFORM:HANDLE.")],
    ) -> None:
        """Erase a person: posts, identities, activities, scores, queued deliveries."""
        from signals.people.commands import forget_command

        forget_command(ctx.obj, person)

    @app.command("export-person")
    def export_person(
        ctx: typer.Context,
        person: Annotated[str, typer.Argument(help="Contact id, e-mail or PLATFORM:HANDLE.")],
    ) -> None:
        """Everything held about a person, as JSON."""
        from signals.people.commands import export_person_command

        export_person_command(ctx.obj, person)
