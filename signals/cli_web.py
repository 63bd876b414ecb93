"""Commands of the web app: `signals serve` and `signals users add|list`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from signals.app import AppContext

users_app = typer.Typer(help="Manage the web app's local users.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the web app's commands to the main CLI."""

    @app.command()
    def serve(
        ctx: typer.Context,
        host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    ) -> None:
        """Start the web app (review queue, respond inbox, dashboards) and the read API."""
        import uvicorn

        from signals.web.app import create_app
        from signals.web.settings import load_web_settings

        context = ctx.obj
        config_dir = _config_dir(context)
        settings = load_web_settings(config_dir)
        application = create_app(context.engine, settings, config_dir)
        typer.echo(f"serving on http://{host}:{port}/ (Ctrl-C stops)", err=True)
        # Behind a TLS proxy, X-Forwarded-Proto from 127.0.0.1 marks requests as https.
        uvicorn.run(application, host=host, port=port, proxy_headers=True, log_level="info")

    app.add_typer(users_app, name="users")


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Login name (no spaces).")],
    role: Annotated[str, typer.Option(help="admin, marketer or community-manager.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a user; the password is asked for (or read from stdin) and stored as argon2."""
    from sqlmodel import Session

    from signals.web.passwords import add_user, check_role

    check_role(role)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with Session(ctx.obj.engine) as session:
        add_user(session, name, role, password)
        session.commit()
    typer.echo(f"added user {name} ({role})")


@users_app.command("list")
def users_list(ctx: typer.Context) -> None:
    """Show the users and their roles."""
    from sqlmodel import Session, select

    from signals.store.models_web import User

    with Session(ctx.obj.engine) as session:
        for user in session.exec(select(User).order_by(User.name)):
            state = " (disabled)" if user.disabled else ""
            typer.echo(f"{user.name}\t{user.role}{state}")


def _config_dir(context: AppContext) -> Path:
    from signals.config import config_directory

    return config_directory(context.config_option)
