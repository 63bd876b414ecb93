"""Templates (autoescaped) and the helpers that turn stored text into safe HTML."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import nh3
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")

# What the post body may contain after we build it: line breaks and evidence marks, nothing else.
_ALLOWED_TAGS = {"br", "mark"}
_ALLOWED_ATTRIBUTES = {"mark": {"title", "class"}}


def sanitise(markup: str) -> Markup:
    """HTML cleaned by nh3 on a tight allow-list (no links, no attributes beyond marks)."""
    cleaned = nh3.clean(
        markup,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=set(),
        strip_comments=True,
        link_rel=None,
    )
    return Markup(cleaned)  # noqa: S704  (nh3 output on the allow-list above)


def highlight(text: str, evidence: list[dict[str, Any]] | None) -> Markup:
    """The post's plain text as HTML, evidence spans wrapped in <mark>, then sanitised."""
    spans: list[tuple[int, int, str]] = []
    for item in evidence or []:
        try:
            start, end = int(item["start"]), int(item["end"])
        except (KeyError, TypeError, ValueError):
            continue
        start, end = max(0, start), min(len(text), end)
        if start < end:
            spans.append((start, end, str(item.get("rule") or "evidence")))
    parts: list[str] = []
    position = 0
    for start, end, rule in sorted(spans):
        if start < position:  # overlapping spans: keep the first
            continue
        parts.append(html.escape(text[position:start]))
        parts.append(f'<mark title="{html.escape(rule)}">{html.escape(text[start:end])}</mark>')
        position = end
    parts.append(html.escape(text[position:]))
    return sanitise("".join(parts).replace("\n", "<br>"))


def safe_url(url: str | None) -> str | None:
    """url when it is plain http(s), else None (no javascript:, data: or relative tricks)."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url.strip()


def when(value: datetime | None, missing: str = "unknown") -> str:
    """A UTC time as text for pages; missing when there is none."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else missing


def duration(seconds: float) -> str:
    """A countdown or overdue time in words: 2h 05m, 3d 4h."""
    total = int(abs(seconds)) // 60
    days, rest = divmod(total, 1440)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h {minutes:02d}m"


def environment() -> Environment:
    """The Jinja2 environment: autoescape on for every template."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["highlight"] = highlight
    env.filters["safe_url"] = safe_url
    env.filters["when"] = when
    env.filters["duration"] = duration
    return env
