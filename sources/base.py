"""What every source adapter looks like."""

from __future__ import annotations

from typing import ClassVar, Protocol

from sources.http import HttpClient
from sources.records import Cursor, FetchResult


class Source(Protocol):
    """An adapter: a dataclass whose fields are its settings, and one fetch method."""

    kind: ClassVar[str]

    def fetch(self, http: HttpClient, cursor: Cursor) -> FetchResult:
        """Read what is new since `cursor`; raise a SourceError when the source cannot be read."""
        ...

    @classmethod
    def for_target(cls, target: str, base_url: str | None) -> Source:
        """The adapter that `signals fetch KIND TARGET [--base-url URL]` runs."""
        ...
