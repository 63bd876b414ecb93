"""robots.txt per RFC 9309: fetched through our guarded client, cached per host, parsed by Protego.

Rules: the group for our product token (`buying-signals`) if there is one, else `*`; the longest
matching path wins and Allow wins a tie; `*` and `$` wildcards. A 4xx answer (404 included) means
everything is allowed; a 5xx, a timeout or a connection error means the host is not crawled this
round (RobotsUnavailableError), and that outcome is not cached so the next round asks again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from protego import Protego

from sources.errors import BlockedAddressError, FetchError, HttpStatusError
from sources.http import HttpClient

# The User-Agent product token robots.txt groups are matched against.
ROBOTS_AGENT = "buying-signals"
# RFC 9309 2.4: a cached robots.txt should not be used for more than 24 hours.
DEFAULT_TTL = 24 * 3600.0


class RobotsUnavailableError(FetchError):
    """robots.txt answered 5xx or could not be reached: the host is skipped this round."""


class RobotsDisallowedError(FetchError):
    """robots.txt disallows this URL for our crawler."""


@dataclass(frozen=True)
class _Entry:
    rules: Protego | None  # None: robots.txt answered 4xx, everything is allowed
    expires: float


class RobotsCache:
    """robots.txt rules per origin (scheme, host, port), kept for `ttl` seconds."""

    def __init__(
        self,
        ttl: float = DEFAULT_TTL,
        product_token: str = ROBOTS_AGENT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.product_token = product_token
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def allowed(self, http: HttpClient, url: str) -> bool:
        """Whether our crawler may fetch url; RobotsUnavailableError when robots.txt is down."""
        entry = self._entry(http, url)
        if entry.rules is None:
            return True
        return bool(entry.rules.can_fetch(url, self.product_token))

    def check(self, http: HttpClient, url: str) -> None:
        """Raise RobotsDisallowedError unless url may be fetched."""
        if not self.allowed(http, url):
            raise RobotsDisallowedError("robots.txt disallows this page for buying-signals", url)

    def clear(self) -> None:
        """Forget every cached robots.txt."""
        with self._lock:
            self._entries.clear()

    def _entry(self, http: HttpClient, url: str) -> _Entry:
        origin = _origin(url)
        now = self._clock()
        with self._lock:
            entry = self._entries.get(origin)
        if entry is not None and entry.expires > now:
            return entry
        entry = _Entry(rules=_fetch_rules(http, origin), expires=now + self.ttl)
        with self._lock:
            self._entries[origin] = entry
        return entry


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), "", "", ""))


def _fetch_rules(http: HttpClient, origin: str) -> Protego | None:
    robots_url = origin + "/robots.txt"
    try:
        response = http.get(robots_url, headers={"Accept": "text/plain, */*;q=0.1"})
    except BlockedAddressError:
        raise
    except HttpStatusError as exc:
        if 400 <= exc.status < 500:
            return None  # RFC 9309 2.3.1.3: "unavailable" means crawl without restriction
        raise RobotsUnavailableError(
            f"robots.txt answered HTTP {exc.status}; not crawling this host this round",
            robots_url,
        ) from exc
    except FetchError as exc:
        raise RobotsUnavailableError(
            f"robots.txt unreachable ({exc.args[0]}); not crawling this host this round",
            robots_url,
        ) from exc
    # RFC 9309 2.5: parse at least the first 500 KiB; a larger file is cut there.
    return Protego.parse(response.body[: 512 * 1024].decode("utf-8", errors="replace"))


# One cache for the process: every HTML-scraping adapter asks it before each page fetch.
ROBOTS = RobotsCache()
