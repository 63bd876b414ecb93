"""Errors raised by source adapters.

    SourceError                  root: anything that stops one source from being read
     +-- SourceConfigError       a source's settings are wrong (the message names the fix)
     +-- FetchError              the request failed
     |    +-- BlockedAddressError   the SSRF guard refused the address
     |    +-- ConnectionFailedError could not connect, or the connection broke (retried)
     |    +-- HttpStatusError       the server answered with an error status
     |    +-- BodyTooLargeError     the body passed the size cap
     |    +-- DeadlineError         connect, read or total deadline passed
     |    +-- RateLimitedError      the service asked us to wait longer than we block for
     +-- ParseError              the body is not what the adapter reads (malformed feed, HTML page)

Every error carries the URL it concerns, so a recorded error names its source.
"""

from __future__ import annotations


class SourceError(Exception):
    """Root of everything that stops one source from being read."""

    def __init__(self, message: str, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url

    def __str__(self) -> str:
        message = super().__str__()
        return f"{message} ({self.url})" if self.url else message


class SourceConfigError(SourceError):
    """A source's settings are wrong; the message says how to fix them."""


class FetchError(SourceError):
    """The request did not produce a usable response."""


class BlockedAddressError(FetchError):
    """The SSRF guard refused to connect to this address."""


class ConnectionFailedError(FetchError):
    """Could not connect, or the connection broke before a response arrived."""


class HttpStatusError(FetchError):
    """The server answered with an error status."""

    def __init__(self, status: int, url: str | None = None, body: bytes = b"") -> None:
        super().__init__(f"HTTP {status}", url)
        self.status = status
        self.body = body  # the start of the error body: some APIs say there what went wrong


class BodyTooLargeError(FetchError):
    """The decompressed body grew past the configured cap."""


class DeadlineError(FetchError):
    """A connect, read or total deadline passed."""


class ParseError(SourceError):
    """The body could not be read as what the adapter expects."""


class RateLimitedError(FetchError):
    """The service asked us to come back later; `retry_at` says when (epoch seconds)."""

    def __init__(self, message: str, url: str | None = None, retry_at: float = 0.0) -> None:
        super().__init__(message, url)
        self.retry_at = retry_at
