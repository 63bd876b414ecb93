"""Dashboard figures: signals per day by stage and intent (inline SVG), precision per source."""

from __future__ import annotations

import html
import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from markupsafe import Markup
from sqlalchemy import String, cast, func, true
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from signals.store import models as db
from signals.store.columns import utcnow
from signals.store.models_web import ReviewDecision

PALETTE = ("#3b6ea5", "#e07b39", "#5aa469", "#c44e52", "#8172b2", "#937860", "#da8bc3", "#8c8c8c")


@dataclass(frozen=True)
class Precision:
    """How often reviewers agreed with the classifier on one source's signals."""

    source: str
    confirmed: int
    refuted: int

    @property
    def reviewed(self) -> int:
        return self.confirmed + self.refuted

    @property
    def precision(self) -> float | None:
        return self.confirmed / self.reviewed if self.reviewed else None


def _day(session: Session) -> Any:
    """The UTC day of a signal's detection as YYYY-MM-DD text, computed by the database."""
    column = col(db.Signal.created_at)
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.substr(column, 1, 10)  # SQLite keeps UTC as "YYYY-MM-DD HH:MM:SS"


def daily_counts(
    session: Session, days: int = 30
) -> tuple[list[date], dict[str, Counter[date]], dict[str, Counter[date]]]:
    """Signals per day (of detection) over the last days, by stage and by intent."""
    today = utcnow().date()
    first = today - timedelta(days=days - 1)
    by_stage: dict[str, Counter[date]] = defaultdict(Counter)
    by_intent: dict[str, Counter[date]] = defaultdict(Counter)
    day = _day(session)
    intents = cast(col(db.Signal.intents), String)
    # Grouped in the database: a few rows per day and label set, not one per signal.
    rows = session.execute(
        select(day, col(db.Signal.stage), intents, func.count())
        .where(col(db.Signal.is_signal) == true())
        .where(col(db.Signal.created_at) >= datetime.combine(first, time(), UTC))
        .group_by(day, col(db.Signal.stage), intents)
    )
    for day_text, stage, labels, count in rows:
        when = date.fromisoformat(day_text)
        by_stage[stage or "none"][when] += count
        for intent in json.loads(labels) or ["none"]:
            by_intent[intent][when] += count
    return [first + timedelta(days=i) for i in range(days)], by_stage, by_intent


def bar_chart(title: str, days: list[date], series: dict[str, Counter[date]]) -> Markup:
    """A stacked bar chart as inline SVG (attributes only: the CSP forbids inline styles)."""
    width, height, left, bottom, top = 760, 220, 36, 24, 10
    names = sorted(series, key=lambda n: -sum(series[n].values()))[: len(PALETTE)]
    totals = [sum(series[n][d] for n in names) for d in days]
    peak = max(totals, default=0) or 1
    slot = (width - left) / max(len(days), 1)
    scale = (height - bottom - top) / peak
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height + 20 * len(names)}"'
        f' role="img" aria-label="{html.escape(title)}" class="chart">',
        f"<title>{html.escape(title)}</title>",
        f'<text x="0" y="{top + 8}" font-size="10">{peak}</text>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}"'
        ' stroke="#999"/>',
    ]
    for i, day in enumerate(days):
        x = left + i * slot
        y = float(height - bottom)
        for n, name in enumerate(names):
            count = series[name][day]
            if not count:
                continue
            h = count * scale
            y -= h
            out.append(
                f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{slot - 2:.1f}" height="{h:.1f}"'
                f' fill="{PALETTE[n]}"><title>{day} {html.escape(name)}: {count}</title></rect>'
            )
        if i % 5 == 0:
            out.append(f'<text x="{x:.1f}" y="{height - 8}" font-size="10">{day:%m-%d}</text>')
    for n, name in enumerate(names):
        y = height + 14 * n + 6
        out.append(f'<rect x="{left}" y="{y}" width="10" height="10" fill="{PALETTE[n]}"/>')
        out.append(
            f'<text x="{left + 16}" y="{y + 9}" font-size="11">{html.escape(name)}'
            f" ({sum(series[name].values())})</text>"
        )
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704  (every text above is escaped)


def precision_by_source(session: Session) -> list[Precision]:
    """Per source, reviewed signals the reviewers confirmed vs refuted (latest decision wins)."""
    # The latest decision per post is the one with no newer decision on that post: an anti-join
    # on (post_id, ...) halves PostgreSQL's time against joining a GROUP BY max(id) subquery.
    newer = aliased(ReviewDecision)
    superseded = (
        select(col(newer.id))
        .where(col(newer.post_id) == col(ReviewDecision.post_id))
        .where(col(newer.id) > col(ReviewDecision.id))
        .exists()
    )
    statement = (
        select(col(db.Source.name), col(ReviewDecision.decision), func.count())
        .join(db.Post, col(db.Post.id) == col(ReviewDecision.post_id))
        .join(db.Source, col(db.Source.id) == col(db.Post.source_id))
        .where(~superseded)
        .group_by(col(db.Source.name), col(ReviewDecision.decision))
    )
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for source, decision, count in session.exec(statement):
        tally[source][0 if decision in ("accept", "relabel") else 1] += int(count)
    return [Precision(name, c, r) for name, (c, r) in sorted(tally.items())]
