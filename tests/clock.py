"""A fake clock shared by the HTTP client and the replay server: waits pass instantly."""

from __future__ import annotations

import threading
import time


class FakeClock:
    """Epoch seconds that advance only when someone sleeps; every sleep is recorded."""

    def __init__(self, start: float | None = None) -> None:
        self.moment = time.time() if start is None else start
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self.moment

    def __call__(self) -> float:
        return self.now()

    def sleep(self, seconds: float) -> None:
        with self._lock:
            if seconds > 0:
                self.sleeps.append(seconds)
                self.moment += seconds
