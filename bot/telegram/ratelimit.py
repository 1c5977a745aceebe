"""Per-user sliding-window rate limit for questions."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol


class Limiter(Protocol):
    """Something that admits or delays an event per key."""

    def check(self, key: int) -> float:
        """0 when allowed, else seconds until the next slot."""
        ...


class SharedCheck(Protocol):
    """`AppDB.rate_check`: a sliding window kept in the shared database."""

    def rate_check(self, key: str, limit: int, window_s: float) -> float:
        """0 when allowed, else seconds until the next slot."""
        ...


class SharedRateLimiter:
    """The same sliding window, kept in the database: every replica counts the same events."""

    def __init__(self, db: SharedCheck, limit: int, window_s: float, *,
                 scope: str = "telegram") -> None:
        self.db = db
        self.limit = limit
        self.window_s = window_s
        self.scope = scope

    def check(self, key: int) -> float:
        """Record an event for `key`; 0 when allowed, else seconds until the next slot."""
        return self.db.rate_check(f"{self.scope}:{key}", self.limit, self.window_s)


class RateLimiter:
    """Allows at most `limit` events per `window_s` seconds per key (sliding window)."""

    def __init__(self, limit: int, window_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._events: dict[int, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, key: int) -> float:
        """Record an event for `key`; 0 when allowed, else seconds until the next slot."""
        now = self._clock()
        with self._lock:
            events = self._events.setdefault(key, deque())
            while events and events[0] <= now - self.window_s:
                events.popleft()
            if len(events) >= self.limit:
                return max(events[0] + self.window_s - now, 0.001)
            events.append(now)
            if len(self._events) > 10_000:
                self._prune(now)
            return 0.0

    def _prune(self, now: float) -> None:
        stale = [k for k, ev in self._events.items() if not ev or ev[-1] <= now - self.window_s]
        for k in stale:
            del self._events[k]
