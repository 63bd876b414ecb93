"""What commands print: progress bars on stderr, tables and summaries on stdout (rich)."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Self

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from signals.listing import ContactActivity, SignalView
from signals.pipeline import RunReport, SourceReport

out = Console(highlight=False, soft_wrap=False)
if not out.is_terminal:
    out.width = 120  # piped output: wide enough for the tables, still readable in a log
err = Console(stderr=True, highlight=False)
_STATUS_STYLE = {"ok": "green", "not modified": "cyan", "error": "bold red", "disabled": "dim"}


class SourceProgress:
    """Progress bars for crawling sources and classifying posts; silent when not a terminal."""

    def __init__(self, sources: int) -> None:
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        )
        self._crawl = self._progress.add_task("crawling sources", total=sources)
        self._classify = self._progress.add_task("classifying posts", total=None, visible=False)

    def __enter__(self) -> Self:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def source_done(self, report: SourceReport) -> None:
        self._progress.advance(self._crawl)

    def classified(self, count: int) -> None:
        self._progress.update(self._classify, visible=True, advance=count)


def sources_table(reports: Sequence[SourceReport]) -> Table:
    table = Table(title="Sources", title_justify="left")
    for column in ("source", "kind", "status", "posts", "new", "problem"):
        table.add_column(column, justify="right" if column in ("posts", "new") else "left")
    for r in reports:
        problem = r.error or "; ".join(r.warnings)
        table.add_row(
            r.name,
            r.kind,
            Text(r.status, style=_STATUS_STYLE.get(r.status, "")),
            str(r.fetched),
            str(r.new),
            Text(problem[:120], style="red") if problem else "",
        )
    return table


def print_sources(reports: Sequence[SourceReport]) -> None:
    out.print(sources_table(reports))


def print_run(result: RunReport) -> None:
    print_sources(result.sources)
    c = result.classify
    classified = c.classified if c else 0
    found = c.signals if c else 0
    out.print(
        f"{result.new_posts} new posts, {classified} classified, {found} signals, "
        f"{c.activities if c else 0} activities merged; {len(result.failed)} sources failed "
        f"({result.seconds:.1f} s)"
    )


def print_signals(rows: Sequence[SignalView]) -> None:
    if not rows:
        out.print("no signals match; run `signals run` first or loosen the filters")
        return
    for row in rows:
        print_signal(row)


def print_signal(row: SignalView, width: int = 220) -> None:
    header = Text()
    header.append(f"#{row.signal_id} ", style="dim")
    header.append(row.title or row.text[:80], style="bold")
    out.print(header)
    meta = [
        row.community or row.source,
        f"by {row.author}" if row.author else "author unknown",
        row.published.strftime("%Y-%m-%d") if row.published else "undated",
        f"stage {row.stage}",
        ", ".join(row.intents) or "no intent",
        f"confidence {row.confidence:.2f}",
    ]
    out.print("  " + " · ".join(meta), style="dim")
    if row.products:
        out.print("  products: " + ", ".join(row.products))
    for quote in _quotes(row, width):
        out.print(quote)
    if row.url:
        out.print(f"  {row.url}", style="blue")
    out.print()


def _quotes(row: SignalView, width: int) -> list[Text]:
    """Each distinct evidence span, quoted with a little surrounding text."""
    quotes: list[Text] = []
    seen: set[tuple[str, int]] = set()
    # Intent and stage cues explain a decision best; supporting boosts come after them.
    ranked = sorted(row.evidence, key=lambda e: str(e.get("rule", "")).startswith("boost:"))
    for item in ranked:
        field = item.get("field", "text")
        source = row.text if field == "text" else (row.title or "")
        start, end = int(item["start"]), int(item["end"])
        if (field, start) in seen or str(item.get("rule", "")).startswith("product:"):
            continue
        seen.add((field, start))
        left = max(0, start - 50)
        right = min(len(source), end + 70)
        quote = Text("  “")
        quote.append(("…" if left else "") + source[left:start].replace("\n", " "))
        quote.append(source[start:end].replace("\n", " "), style="bold yellow")
        quote.append(source[end:right].replace("\n", " ") + ("…" if right < len(source) else ""))
        quote.append("”  ")
        quote.append(str(item.get("rule", "")), style="dim")
        quotes.append(quote)
        if len(quotes) == 3:
            break
    return quotes


def contacts_table(contacts: Sequence[ContactActivity]) -> Table:
    table = Table(title="Most active contacts", title_justify="left")
    for column in ("contact", "platform", "signals", "weight", "last seen"):
        table.add_column(column, justify="right" if column in ("signals", "weight") else "left")
    for c in contacts:
        last = c.last_seen.strftime("%Y-%m-%d") if c.last_seen else ""
        table.add_row(c.name, c.platforms, str(c.activities), f"{c.weight:.2f}", last)
    return table


def counts_table(title: str, counts: dict[str, int]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column(title.split()[-1])
    table.add_column("signals", justify="right")
    for name, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        table.add_row(name, str(count))
    return table
