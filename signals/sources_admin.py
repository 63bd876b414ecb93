"""Bodies of `signals sources list | add | test | health | recheck`."""

from __future__ import annotations

import json
import sys
import tomllib
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from signals.app import AppContext
from signals.config import MAIN_FILE, Settings, SourceConfig, bundled_config_dir, load_settings
from signals.errors import ConfigError

if TYPE_CHECKING:
    from sources import FetchResult, HttpClient


def _config(context: AppContext, name: str) -> SourceConfig:
    for config in context.settings.sources:
        if config.name == name:
            return config
    known = ", ".join(s.name for s in context.settings.sources) or "none"
    raise ConfigError(f"no source named {name!r}; known: {known} (add one: signals sources add)")


def _iso(moment: datetime | None) -> str | None:
    from sources import format_utc

    return format_utc(moment)


def _rows(context: AppContext) -> dict[str, Any]:
    from sqlalchemy.orm import Session
    from sqlmodel import select

    from signals import pipeline
    from signals.store import models as db

    pipeline.sync_sources(context.engine, context.settings.sources)
    with Session(context.engine) as session:
        return {row.name: row for row in session.scalars(select(db.Source))}


def _emit(records: list[dict[str, Any]], as_json: bool, columns: Sequence[str]) -> None:
    if as_json:
        sys.stdout.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
        return
    from rich.table import Table

    from signals.report import out

    table = Table(title_justify="left")
    for column in columns:
        table.add_column(column.replace("_", " "))
    for record in records:
        table.add_row(*("" if record[c] is None else str(record[c]) for c in columns))
    out.print(table)


_SECRET_WORDS = ("secret", "token", "password", "key")


def _shown(settings: dict[str, Any]) -> dict[str, Any]:
    """Settings as shown to people: credentials masked, never printed."""
    return {
        k: "***" if any(word in k.lower() for word in _SECRET_WORDS) and v else v
        for k, v in settings.items()
    }


def list_command(context: AppContext, as_json: bool) -> None:
    rows = _rows(context)
    records = []
    for config in context.settings.sources:
        row = rows.get(config.name)
        records.append(
            {
                "name": config.name,
                "kind": config.kind,
                "enabled": config.enabled,
                "interval": config.interval,
                "settings": json.dumps(_shown(config.settings), ensure_ascii=False),
                "last_success": _iso(row.last_success_at) if row else None,
                "failures": row.consecutive_failures if row else 0,
            }
        )
    _emit(records, as_json, list(records[0]) if records else ["name"])


def health_command(context: AppContext, as_json: bool) -> None:
    from signals.schedule import next_due

    rows = _rows(context)
    records = []
    for config in context.settings.sources:
        row = rows[config.name]
        due = next_due(row.last_fetch_at, config.interval, row.consecutive_failures)
        records.append(
            {
                "name": config.name,
                "kind": config.kind,
                "enabled": config.enabled,
                "last_fetch": _iso(row.last_fetch_at),
                "last_success": _iso(row.last_success_at),
                "last_error": row.last_error,
                "consecutive_failures": row.consecutive_failures,
                "next_due": (_iso(due) or "now") if config.enabled else None,
            }
        )
    columns = ["name", "kind", "last_fetch", "last_success", "consecutive_failures", "next_due"]
    _emit(records, as_json, [*columns, "last_error"])


def test_command(context: AppContext, name: str, allow_hosts: Sequence[str]) -> None:
    from sources import Cursor, build_source

    config = _config(context, name)
    adapter = build_source(config.kind, config.settings, where=f"source {name!r}")
    with context.http(allow_hosts) as http:
        result = adapter.fetch(http, Cursor())
    _print_sample(name, result.posts, result.warnings)


def _print_sample(name: str, posts: Sequence[Any], warnings: Sequence[str]) -> None:
    print(f"{name}: {len(posts)} posts")
    for post in posts[:5]:
        line = (post.title or post.text).replace("\n", " ")[:90]
        print(f"  {post.external_id}  {post.author or '-'}  {line}")
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)


def add_command(
    context: AppContext,
    name: str,
    kind: str,
    pairs: Sequence[str],
    interval: float | None,
    test: bool,
    allow_hosts: Sequence[str],
) -> None:
    settings = dict(_setting(pair) for pair in pairs)
    if test:
        with context.http(allow_hosts) as http:
            path, result = add_source(context.settings, name, kind, settings, interval, http)
    else:
        path, result = add_source(context.settings, name, kind, settings, interval, None)
    if result is not None:
        _print_sample(name, result.posts, result.warnings)
    print(f"added {name!r} ({kind}) to {path}")


def add_source(
    current: Settings,
    name: str,
    kind: str,
    settings: dict[str, Any],
    interval: float | None,
    http: HttpClient | None,
) -> tuple[Path, FetchResult | None]:
    """Validate a source, fetch it once (unless http is None), append it to signals.toml.

    Comments in the file are kept (tomlkit); the file is written only when the result loads.
    Used by `signals sources add` and by the web app's sources page.
    """
    import tomlkit

    from sources import Cursor, SourceError, build_source

    directory = current.directory
    if directory.resolve() == bundled_config_dir().resolve():
        raise ConfigError(
            "the bundled configuration cannot be changed; run `signals init` first "
            "or point --config at your configuration directory"
        )
    if not name.strip():
        raise ConfigError("a source needs a name, e.g. r/sysadmin")
    if any(s.name == name for s in current.sources):
        raise ConfigError(f"a source named {name!r} exists already; choose another name")
    try:
        adapter = build_source(kind, settings, where=f"source {name!r}")
    except SourceError as exc:
        raise ConfigError(str(exc)) from None
    result = None
    if http is not None:
        try:
            result = adapter.fetch(http, Cursor())
        except SourceError as exc:
            raise ConfigError(
                f"test fetch failed, {name!r} not added: {exc} (use --no-test to add it anyway)"
            ) from None
    path = directory / MAIN_FILE
    document = tomlkit.parse(path.read_text(encoding="utf-8"))
    entry = tomlkit.table()
    entry.update({"name": name, "kind": kind, **settings})
    if interval is not None:
        entry["interval"] = interval
    tables = document.get("sources")
    if tables is None:
        document["sources"] = tomlkit.aot()
        tables = document["sources"]
    tables.append(entry)
    text = tomlkit.dumps(document)
    _check_loads(text)  # never write a file the next command cannot read
    path.write_text(text, encoding="utf-8")
    return path, result


def parse_settings(lines: str) -> dict[str, Any]:
    """KEY=VALUE lines (values are TOML, a bare word is a string) as a settings dict."""
    return dict(_setting(line) for line in lines.splitlines() if line.strip())


def _check_loads(text: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        (Path(scratch) / MAIN_FILE).write_text(text, encoding="utf-8")
        load_settings(Path(scratch))


def _setting(pair: str) -> tuple[str, Any]:
    key, sep, raw = pair.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError(f"setting {pair!r} must be KEY=VALUE, e.g. subreddit=sysadmin")
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw  # a bare word is a string: subreddit=sysadmin
    return key, value


def recheck_command(context: AppContext, names: Sequence[str], limit: int) -> int:
    from signals import pipeline
    from signals.recheck import recheck

    for name in names:
        _config(context, name)
    pipeline.sync_sources(context.engine, context.settings.sources)
    with context.http() as http:
        reports = recheck(context.engine, http, names or None, limit)
    for report in reports:
        status = f"error: {report.error}" if report.error else f"{report.erased} erased"
        print(f"{report.name}: {report.checked} checked, {status}")
    return 1 if reports and all(r.error for r in reports) else 0


def watch_command(
    context: AppContext,
    names: Sequence[str],
    recheck_hours: float | None,
    *,
    deliver: bool = True,
) -> int:
    import signal
    from datetime import UTC, datetime

    from signals.watch import Cycle, Stopper, watch

    for name in names:
        _config(context, name)
    configs = [c for c in context.settings.sources if not names or c.name in names]
    if not any(c.enabled for c in configs):
        raise ConfigError("no enabled source to watch; add one with `signals sources add`")
    classifier = context.classifier  # load the model before the first crawl, not during it
    engine = context.engine
    stopper = Stopper()

    def stop(signum: int, frame: object) -> None:
        stopper.request()

    def log_cycle(cycle: Cycle) -> None:
        report = cycle.source
        clock = datetime.now(UTC).strftime("%H:%M:%S")
        outcome = report.error if report.status == "error" else f"{report.new} new"
        print(
            f"{clock} {report.name}: {outcome}, {cycle.signals} signals; "
            f"next in {cycle.next_in:.0f} s",
            file=sys.stderr,
            flush=True,
        )

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    listener = None
    try:
        with context.http() as http:
            if deliver:
                from signals.watch_delivery import deliver_new_signals

                listener = deliver_new_signals(context, http)
            print(f"watching {len(configs)} sources; stop with Ctrl-C", file=sys.stderr, flush=True)
            watch(engine, http, classifier, configs, stopper, log_cycle, recheck_hours)
    finally:
        if listener is not None:
            from signals import hooks

            hooks.off_after_classify(listener)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    print("stopped; everything fetched so far is stored", file=sys.stderr, flush=True)
    return 0
