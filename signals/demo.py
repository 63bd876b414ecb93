"""`signals demo`: real recorded posts served from 127.0.0.1, through the whole pipeline."""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from signals.config import Settings, bundled_config_dir, load_settings
from signals.demo_api import ApiSlice, api_slices
from signals.demo_api import routes as api_routes
from signals.demo_api import source_lines as api_source_lines
from signals.errors import ConfigError
from signals.replay import ReplayServer, Route

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from signals.listing import SignalView
    from signals.pipeline import RunReport, SourceReport

DEMO_DATA = Path(__file__).with_name("demo_data")
FEEDS = DEMO_DATA / "feeds"


@dataclass(frozen=True)
class DemoFeed:
    """One bundled feed: its file and the community it stands for."""

    file: str
    title: str
    community: str | None
    content_type: str
    entries: int


def demo_feeds(directory: Path = FEEDS) -> list[DemoFeed]:
    """The feeds listed in the bundled index.json."""
    try:
        index = json.loads((directory / "index.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(
            f"the bundled demo data is missing or damaged ({exc}); reinstall"
        ) from None
    entries = index["feeds"] if isinstance(index, dict) else index
    return [
        DemoFeed(
            file=e["file"],
            title=e.get("title") or e["file"],
            community=e.get("community"),
            content_type=e.get("content_type") or "application/xml",
            entries=int(e.get("entries", 0)),
        )
        for e in entries
    ]


def demo_sources() -> tuple[list[DemoFeed], list[ApiSlice]]:
    """What the demo serves: RSS/Atom feeds, and API slices for the reddit and discourse adapters.

    A community served through an adapter's API is left out of the feeds, so each bundled post
    is crawled once.
    """
    apis = api_slices(DEMO_DATA / "posts.jsonl")
    through_api = {piece.community for piece in apis}
    return [f for f in demo_feeds() if f.community not in through_api], apis


def demo_server(
    feeds: list[DemoFeed], directory: Path = FEEDS, apis: Sequence[ApiSlice] = ()
) -> ReplayServer:
    """A replay server (not started): each feed at /<file> with its recorded content type, and
    the paths the reddit and discourse adapters ask for."""
    served = {
        f"/{feed.file}": Route(
            body=(directory / feed.file).read_bytes(), content_type=feed.content_type
        )
        for feed in feeds
    }
    return ReplayServer({**served, **api_routes(list(apis))})


def demo_settings(
    server: ReplayServer,
    feeds: list[DemoFeed],
    directory: Path,
    apis: Sequence[ApiSlice] = (),
) -> Settings:
    """A configuration whose sources are the bundled feeds and API slices on the local server."""
    directory.mkdir(parents=True, exist_ok=True)
    lines = ["[http]", 'allow_hosts = ["127.0.0.1"]', ""]
    for feed in feeds:
        lines += ["[[sources]]", f"name = {json.dumps(feed.title)}", 'kind = "rss"']
        lines.append(f"url = {json.dumps(server.url('/' + feed.file))}")
        if feed.community:
            lines.append(f"community = {json.dumps(feed.community)}")
        lines.append("")
    for piece in apis:
        lines += api_source_lines(piece, server.url(""))
    (directory / "signals.toml").write_text("\n".join(lines), encoding="utf-8")
    for name in ("classifier.toml", "products.toml"):
        source = bundled_config_dir() / name
        if source.is_file():
            (directory / name).write_bytes(source.read_bytes())
    return load_settings(directory)


def run_demo(keep: Path | None) -> None:
    """Serve, crawl twice (the second crawl shows conditional requests), print a summary."""
    from signals import pipeline, report
    from signals.classifier import load_classifier
    from signals.store import schema
    from signals.store.engine import make_engine
    from sources import HttpClient

    feeds, apis = demo_sources()
    workdir = Path(tempfile.mkdtemp(prefix="signals-demo-"))
    database = keep.expanduser().resolve() if keep else workdir / "demo.db"
    if database.exists():
        raise ConfigError(f"{database} already exists; choose a new --keep path or delete it")
    with demo_server(feeds, apis=apis) as server:
        settings = demo_settings(server, feeds, workdir / "config", apis)
        engine = make_engine(f"sqlite:///{database}")
        schema.upgrade(engine)
        classifier = load_classifier(settings.directory)
        pipeline.sync_sources(engine, settings.sources)
        sources = len(settings.sources)
        with HttpClient(settings.http) as http, report.SourceProgress(sources) as progress:
            first = pipeline.run(engine, http, classifier, None, progress.source_done)
            started = time.perf_counter()
            second = pipeline.crawl(engine, http)
            second_seconds = time.perf_counter() - started
    _print_summary(engine, first, second, second_seconds)
    report.out.print(f"\nThe demo database is at {database}; explore it with:")
    report.out.print(f"  signals --db {database} list --stage evaluate --limit 5")
    engine.dispose()


def _print_summary(
    engine: Engine, first: RunReport, second: list[SourceReport], second_seconds: float
) -> None:
    from signals import listing, report

    by_intent, by_stage, posts = listing.signal_counts(engine)
    out = report.out
    out.rule("buying-signals demo: real posts, served from 127.0.0.1, through the whole pipeline")
    out.print(report.sources_table(first.sources))
    c = first.classify
    out.print(
        f"{len(first.sources)} sources crawled, {posts} posts seen, "
        f"{c.signals if c else 0} buying signals found, "
        f"{c.activities if c else 0} activities merged onto contacts in {first.seconds:.1f} s"
    )
    out.print(report.counts_table("Signals by intent", by_intent))
    out.print(report.counts_table("Signals by stage", by_stage))
    out.rule("Strongest signals, with the evidence the classifier used")
    for row in strongest_signals(engine):
        report.print_signal(row)
    out.print(report.contacts_table(listing.most_active_contacts(engine, 10)))
    unchanged = sum(1 for r in second if r.status == "not modified")
    out.print(
        f"Second crawl: {unchanged} of {len(second)} sources answered 304 Not Modified to "
        f"conditional requests (the Reddit and Discourse APIs were asked only for what is new), "
        f"{sum(r.new for r in second)} new posts ({second_seconds:.2f} s)."
    )


def strongest_signals(engine: Engine, count: int = 8) -> list[SignalView]:
    """The most confident signals, one per community first, to show the breadth found."""
    from signals import listing

    rows = sorted(
        listing.recent_signals(engine, limit=100_000), key=lambda r: (-r.confidence, r.signal_id)
    )
    picked: list[SignalView] = []
    communities: set[str | None] = set()
    for row in rows:
        if row.community not in communities:
            picked.append(row)
            communities.add(row.community)
    rest = [r for r in rows if r not in picked]
    return (picked + rest)[:count]
