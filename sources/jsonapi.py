"""Helpers for JSON APIs: fetch and decode, read times, keep cursors as small JSON documents."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

from sources.errors import ParseError, SourceConfigError
from sources.http import HttpClient, Response

_ACCEPT_JSON = {"Accept": "application/json"}


def with_query(url: str, params: Mapping[str, Any]) -> str:
    """url with params appended (None values left out, lists repeated)."""
    pairs: list[tuple[str, Any]] = []
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, list | tuple):
            pairs.extend((key, item) for item in value)
        else:
            pairs.append((key, value))
    if not pairs:
        return url
    return url + ("&" if "?" in url else "?") + urlencode(pairs)


def get_json(http: HttpClient, url: str, headers: Mapping[str, str] | None = None) -> Any:
    """GET url and decode its JSON body; ParseError names the URL when it is not JSON."""
    response = http.get(url, headers={**_ACCEPT_JSON, **(headers or {})})
    return decode_json(response)


def decode_json(response: Response) -> Any:
    """The JSON body of a response, or a ParseError saying what came instead."""
    try:
        return json.loads(response.body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        head = response.body[:60].decode("utf-8", "replace")
        raise ParseError(f"expected JSON, got {head!r}: {exc}", response.url) from None


def expect_dict(value: Any, what: str, url: str | None = None) -> dict[str, Any]:
    """value when it is a JSON object, else a ParseError naming what was expected."""
    if not isinstance(value, dict):
        raise ParseError(f"expected {what} (a JSON object), got {type(value).__name__}", url)
    return value


def as_list(value: Any) -> list[Any]:
    """value when it is a list, else an empty list: missing optional fields never crash."""
    return value if isinstance(value, list) else []


def from_epoch(value: Any) -> datetime | None:
    """A UTC datetime from epoch seconds, or None when missing or not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return datetime.fromtimestamp(value, tz=UTC)


def from_iso(value: Any) -> datetime | None:
    """A UTC datetime from an ISO 8601 string, or None when missing or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def load_position(position: str | None) -> dict[str, Any]:
    """An adapter's cursor position (a JSON object), or {} when there is none or it is stale."""
    if not position:
        return {}
    try:
        value = json.loads(position)
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def dump_position(value: Mapping[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def check_backfill(days: int, kind: str) -> None:
    if days < 0:
        raise SourceConfigError(f"{kind} backfill_days must be 0 or more, got {days}")


def check_url(url: str, setting: str) -> None:
    if not url.startswith(("http://", "https://")):
        raise SourceConfigError(f"{setting} must start with http:// or https://, got {url!r}")


def backfill_start(now: float, days: int) -> int:
    """Epoch seconds a first crawl reaches back to: `days` before now, or 0 (no limit) for 0."""
    return int(now) - days * 86_400 if days else 0


_Adapter = TypeVar("_Adapter")


def replace_roots(adapter: _Adapter, **roots: str | None) -> _Adapter:
    """The adapter with its API root URLs replaced by `--base-url` (those given only)."""
    given = {name: url for name, url in roots.items() if url}
    return dataclasses.replace(adapter, **given) if given else adapter  # type: ignore[type-var]
