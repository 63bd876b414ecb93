"""What every source adapter looks like."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Protocol, runtime_checkable

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


@runtime_checkable
class Rechecks(Protocol):
    """An adapter that can ask its service whether stored posts still exist."""

    def recheck(self, http: HttpClient, external_ids: Sequence[str]) -> set[str]:
        """The ids among `external_ids` that were deleted or removed at the source."""
        ...
