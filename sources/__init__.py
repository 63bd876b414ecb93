"""Source adapters: read posts from forums, feeds and social services.

Imports nothing from the rest of the product; `signals` builds on it.
"""

from sources.base import Rechecks, Source
from sources.errors import (
    BlockedAddressError,
    BodyTooLargeError,
    ConnectionFailedError,
    DeadlineError,
    FetchError,
    HttpStatusError,
    ParseError,
    RateLimitedError,
    SourceConfigError,
    SourceError,
)
from sources.guard import AddressGuard
from sources.http import HttpClient, HttpSettings, Response, default_user_agent
from sources.politeness import Clock, HostPacer, SystemClock
from sources.records import Cursor, FetchResult, Post, format_utc
from sources.registry import ADAPTERS, adapter_class, build_source

__all__ = [
    "ADAPTERS",
    "AddressGuard",
    "BlockedAddressError",
    "BodyTooLargeError",
    "Clock",
    "ConnectionFailedError",
    "Cursor",
    "DeadlineError",
    "FetchError",
    "FetchResult",
    "HostPacer",
    "HttpClient",
    "HttpSettings",
    "HttpStatusError",
    "ParseError",
    "Post",
    "RateLimitedError",
    "Rechecks",
    "Response",
    "Source",
    "SourceConfigError",
    "SourceError",
    "SystemClock",
    "adapter_class",
    "build_source",
    "default_user_agent",
    "format_utc",
]
