"""Service rate-limit headers (X-RateLimit-Remaining / -Reset) turned into a wait.

Mastodon sends the reset as an ISO 8601 time, GitHub as epoch seconds; both mean "no requests
left until then" once Remaining is 0. A generic layer in the HTTP client may take this over.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from sources.errors import ParseError
from sources.http import HttpClient, Response


def rate_limit_wait(headers: Mapping[str, str], now: datetime) -> float:
    """Seconds to wait before the next request: until X-RateLimit-Reset once Remaining is 0."""
    remaining = headers.get("x-ratelimit-remaining")
    reset = headers.get("x-ratelimit-reset")
    if remaining is None or reset is None or not remaining.strip().isdigit():
        return 0.0
    if int(remaining) > 0:
        return 0.0
    value = reset.strip()
    try:
        moment = (
            datetime.fromtimestamp(float(value), tz=UTC)
            if value.replace(".", "", 1).isdigit()
            else datetime.fromisoformat(value.replace("Z", "+00:00"))
        )
    except ValueError:
        return 0.0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())


class JsonReader:
    """GETs JSON from one service, waiting out X-RateLimit-* between requests."""

    def __init__(
        self,
        http: HttpClient,
        service: str,
        max_wait: float,
        headers: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.http = http
        self.service = service
        self.headers = {"Accept": "application/json", **(headers or {})}
        self.max_wait = max_wait
        self.sleep = sleep
        self.wait = 0.0
        self.stopped = False
        self.warnings: list[str] = []

    def get(self, url: str) -> tuple[Response, Any]:
        if self.wait:
            self.sleep(self.wait)
            self.wait = 0.0
        response = self.http.get(url, headers=self.headers)
        try:
            data = json.loads(response.body)
        except ValueError as exc:
            raise ParseError(f"{self.service} answered with malformed JSON: {exc}", url) from exc
        wait = rate_limit_wait(response.headers, datetime.now(UTC))
        if wait > self.max_wait:
            self.stopped = True
            self.warnings.append(f"rate limit exhausted until {wait:.0f} s from now; stopped")
        else:
            self.wait = wait
        return response, data
