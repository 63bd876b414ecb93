"""Paged JSON reads from one service that stop, with a warning, once its budget is spent."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from sources.errors import ParseError
from sources.http import HttpClient, Response
from sources.ratelimit import budget_exhausted_until


class JsonReader:
    """GETs JSON pages; the HTTP client paces the host, this stops paging past `max_wait`.

    The client already holds a host whose X-RateLimit budget is spent until its reset; a
    reader that would have to wait longer than `max_wait` for the next page stops and says so,
    so one exhausted service never stalls a run (the cursor keeps what was read).
    """

    def __init__(
        self,
        http: HttpClient,
        service: str,
        max_wait: float,
        headers: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.http = http
        self.service = service
        self.headers = {"Accept": "application/json", **(headers or {})}
        self.max_wait = max_wait
        self.clock = clock
        self.stopped = False
        self.warnings: list[str] = []

    def get(self, url: str) -> tuple[Response, Any]:
        response = self.http.get(url, headers=self.headers)
        try:
            data = json.loads(response.body)
        except ValueError as exc:
            raise ParseError(f"{self.service} answered with malformed JSON: {exc}", url) from exc
        now = self.clock()
        until = budget_exhausted_until(response.headers, now)
        if until is not None and until - now > self.max_wait:
            self.stopped = True
            self.warnings.append(
                f"rate limit exhausted until {until - now:.0f} s from now; stopped"
            )
        return response, data
