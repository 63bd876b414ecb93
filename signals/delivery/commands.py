"""Bodies of `signals deliver` and `signals webhooks ...`."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

import typer

from signals.app import AppContext
from signals.delivery.settings import DeliverySettings, load_delivery_settings


def _settings(context: AppContext) -> DeliverySettings:
    return load_delivery_settings(context.settings.directory)


def deliver_command(context: AppContext, loop: bool, allow_hosts: Sequence[str]) -> int:
    from signals.delivery import runner

    settings, engine = _settings(context), context.engine
    with context.http(allow_hosts) as http:
        if loop:
            try:
                runner.run_loop(engine, http, settings, _print_pass)
            except KeyboardInterrupt:
                typer.echo("stopped; undelivered items stay queued for the next run", err=True)
            return 0
        _print_pass(runner.run_once(engine, http, settings))
    return 0


def _print_pass(report: object) -> None:
    from signals.delivery.runner import PassReport

    assert isinstance(report, PassReport)
    f, o = report.feed, report.outbox
    typer.echo(
        f"queued {f.webhooks} webhook event(s), {f.alerts} alert(s), {report.digests} digest(s) "
        f"from {f.signals} new signal(s) and {f.stage_changes} stage change(s); "
        f"sent {o.delivered}, retrying {o.retrying}, failed {o.failed}, paused {o.paused}"
    )
    for error in o.errors[:10]:
        typer.echo(f"warning: {error}", err=True)


def webhooks_add_command(
    context: AppContext, name: str, url: str, secret: str | None, events: Sequence[str]
) -> None:
    from sqlalchemy.orm import Session

    from signals.delivery import webhook

    with Session(context.engine) as session, session.begin():
        endpoint = webhook.add_endpoint(session, name, url, secret, events)
        shown = endpoint.secret
    typer.echo(f"added webhook {name!r} -> {url}")
    if secret is None:
        # Printed once: the receiver needs it to verify X-Signals-Signature.
        typer.echo(f"signing secret (store it with the receiver; it is not shown again): {shown}")


def webhooks_list_command(context: AppContext, as_json: bool) -> None:
    from sqlalchemy import func
    from sqlalchemy.orm import Session
    from sqlmodel import col, select

    from signals.store.models_delivery import Delivery, WebhookEndpoint

    with Session(context.engine) as session:
        endpoints = list(session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.name)))
        waiting = dict(
            session.execute(
                select(Delivery.target, func.count())
                .where(Delivery.channel == "webhook")
                .where(col(Delivery.status).in_(("pending", "paused")))
                .group_by(Delivery.target)
            ).all()
        )
    rows: list[dict[str, Any]] = [
        {
            "name": e.name,
            "url": e.url,
            "state": "disabled" if not e.enabled else "paused" if e.paused_at else "active",
            "paused_at": e.paused_at.isoformat() if e.paused_at else None,
            "consecutive_failures": e.consecutive_failures,
            "events": e.events or ["*"],
            "queued": waiting.get(e.name, 0),
        }
        for e in endpoints
    ]
    if as_json:
        sys.stdout.write("".join(json.dumps(r) + "\n" for r in rows))
        return
    if not rows:
        typer.echo("no webhooks; add one with `signals webhooks add NAME URL`")
    for r in rows:
        typer.echo(
            f"{r['name']}\t{r['state']}\t{r['url']}\tfailures={r['consecutive_failures']}\t"
            f"queued={r['queued']}\tevents={','.join(r['events'])}"
        )


def webhooks_resume_command(context: AppContext, name: str) -> None:
    from sqlalchemy.orm import Session

    from signals.delivery import webhook

    with Session(context.engine) as session, session.begin():
        requeued = webhook.resume(session, name)
    typer.echo(f"resumed {name!r}; {requeued} queued deliveries will go out on the next run")


def webhooks_test_command(context: AppContext, name: str, allow_hosts: Sequence[str]) -> int:
    from sqlalchemy.orm import Session

    from signals.delivery import webhook
    from sources import SourceError

    with Session(context.engine) as session, context.http(allow_hosts) as http:
        try:
            status = webhook.ping(session, http, name)
        except SourceError as exc:
            typer.echo(f"error: {name!r} did not accept the test event: {exc}", err=True)
            return 1
    typer.echo(f"{name!r} answered HTTP {status} to a signed webhook.test event")
    return 0
