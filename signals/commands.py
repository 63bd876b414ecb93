"""Bodies of the store-backed commands: crawl, run, list, fetch."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from signals.app import AppContext
from signals.errors import ConfigError


def _check_names(context: AppContext, names: Sequence[str]) -> None:
    known = [s.name for s in context.settings.sources]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError(
            f"no source named {unknown[0]!r} in {context.settings.directory}; "
            f"known: {', '.join(known) or 'none (add [[sources]] to signals.toml)'}"
        )


def crawl_command(context: AppContext, names: Sequence[str]) -> int:
    from signals import pipeline, report

    _check_names(context, names)
    pipeline.sync_sources(context.engine, context.settings.sources)
    with context.http() as http, report.SourceProgress(len(context.settings.sources)) as progress:
        reports = pipeline.crawl(context.engine, http, names or None, progress.source_done)
    report.print_sources(reports)
    return 1 if reports and all(r.status == "error" for r in reports) else 0


def run_command(context: AppContext, names: Sequence[str]) -> int:
    from signals import pipeline, report
    from signals.people import config as people_config

    _check_names(context, names)
    classifier = context.classifier
    people_config.use_directory(context.settings.directory)  # scoring.toml, plays.toml
    pipeline.sync_sources(context.engine, context.settings.sources)
    with context.http() as http, report.SourceProgress(len(context.settings.sources)) as progress:
        result = pipeline.run(
            context.engine,
            http,
            classifier,
            names or None,
            progress.source_done,
            progress.classified,
        )
    report.print_run(result)
    return 1 if result.sources and len(result.failed) == len(result.sources) else 0


def list_command(
    context: AppContext,
    intent: str | None,
    stage: str | None,
    source: str | None,
    since: str | None,
    min_confidence: float,
    limit: int,
    as_json: bool,
) -> None:
    from signals import listing, report

    since_at = _parse_since(since) if since else None
    rows = listing.recent_signals(
        context.engine, intent, stage, source, since_at, min_confidence, limit
    )
    if as_json:
        sys.stdout.write("".join(json.dumps(r.to_json(), ensure_ascii=False) + "\n" for r in rows))
    else:
        report.print_signals(rows)


def _parse_since(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"--since {value!r} is not an ISO date; use e.g. 2026-11-01 or 2026-11-01T09:00:00Z"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def fetch_command(
    context: AppContext,
    kind: str,
    target: str,
    base_url: str | None,
    allow_hosts: Sequence[str],
    limit: int | None,
    preset: str | None = None,
) -> int:
    from sources import Cursor, adapter_class

    adapter = adapter_class(kind).for_target(target, base_url)
    if preset is not None:
        with_preset = getattr(adapter, "with_preset", None)
        if with_preset is None:
            raise ConfigError(f"--preset applies to the forum kind only, not {kind!r}")
        adapter = with_preset(preset)
    with context.http(allow_hosts) as http:
        result = adapter.fetch(http, Cursor())
    posts = result.posts[:limit] if limit else result.posts
    sys.stdout.write("".join(json.dumps(p.to_json(), ensure_ascii=False) + "\n" for p in posts))
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0
