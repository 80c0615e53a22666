"""A sliding-window limiter for login attempts, per key (address, account).

It lives on the app (lifespan state), so it counts within one server process; with several
processes each counts its own share, which still bounds guessing to N × processes.
"""

import time
from collections import defaultdict, deque


class RateLimiter:
    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._hits: dict[str, deque[float]] = defaultdict(deque)

    def _fresh(self, key: str, now: float) -> deque[float]:
        hits = self._hits[key]
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        return hits

    def blocked(self, *keys: str) -> bool:
        now = time.monotonic()
        return any(len(self._fresh(key, now)) >= self.limit for key in keys)

    def hit(self, *keys: str) -> None:
        now = time.monotonic()
        for key in keys:
            self._fresh(key, now).append(now)
        if len(self._hits) > 100_000:  # forget idle keys so memory stays bounded
            for key in [k for k, v in self._hits.items() if not v]:
                del self._hits[key]

    def reset(self, *keys: str) -> None:
        for key in keys:
            self._hits.pop(key, None)
