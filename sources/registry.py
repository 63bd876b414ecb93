"""Every adapter, by the kind name used in configuration and on the command line."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any

from sources.base import Source
from sources.bluesky import BlueskySource
from sources.discourse import DiscourseSource
from sources.errors import SourceConfigError
from sources.forums import ForumSource
from sources.github import GitHubSource
from sources.hackernews import HackerNewsSource
from sources.mastodon import MastodonSource
from sources.reddit import RedditSource
from sources.rss import RssSource
from sources.stackexchange import StackExchangeSource

ADAPTERS: dict[str, type[Source]] = {
    "rss": RssSource,
    "reddit": RedditSource,
    "hackernews": HackerNewsSource,
    "stackexchange": StackExchangeSource,
    "discourse": DiscourseSource,
    "forum": ForumSource,
    "mastodon": MastodonSource,
    "bluesky": BlueskySource,
    "github": GitHubSource,
}


def adapter_class(kind: str) -> type[Source]:
    """The adapter class for kind, or a SourceConfigError listing the known kinds."""
    try:
        return ADAPTERS[kind]
    except KeyError:
        known = ", ".join(sorted(ADAPTERS))
        raise SourceConfigError(f"unknown source kind {kind!r}; known: {known}") from None


def build_source(kind: str, settings: Mapping[str, Any], where: str = "source") -> Source:
    """An adapter from configuration, with errors that name the key and the fix."""
    cls = adapter_class(kind)
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(settings) - set(fields))
    if unknown:
        allowed = ", ".join(sorted(fields))
        raise SourceConfigError(
            f"{where}: unknown setting {unknown[0]!r} for {kind}; allowed: {allowed}"
        )
    hints = typing.get_type_hints(cls)
    for name, field in fields.items():
        required = (
            field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
        )
        if name not in settings:
            if required:
                raise SourceConfigError(f"{where}: {kind} needs the setting {name!r}")
            continue
        if not _matches(settings[name], hints[name]):
            raise SourceConfigError(
                f"{where}: {name} must be {_describe(hints[name])}, got {settings[name]!r}"
            )
    return cls(**settings)


def _matches(value: Any, hint: Any) -> bool:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, arg) for arg in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if origin in (tuple, list):
        (item,) = typing.get_args(hint)[:1] or (Any,)
        return isinstance(value, list | tuple) and all(_matches(v, item) for v in value)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is Any:
        return True
    return isinstance(value, hint)


def _describe(hint: Any) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}
    args = [a for a in typing.get_args(hint) if a is not type(None)] or [hint]
    return " or ".join(names.get(a, getattr(a, "__name__", str(a))) for a in args)
