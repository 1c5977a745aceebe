"""Query embeddings take turns: short queries first, a bounded queue, never an endless wait.

The embedding engine encodes one text at a time. Without a turn order, forty long queries
queue in front of a short one (measured: a normal search waited 183 s). The gate gives each
query a lane by its cost in model tokens: light queries (real questions) always go before
heavy ones; each lane holds a bounded number of waiting queries, and a query that cannot
get a turn in time is refused with `Busy` (HTTP 503) instead of waiting forever.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np

from bot.errors import Busy
from index.embedders import Embedder
from index.querycut import token_counter

LIGHT_TOKENS = 64  # the longest question of the evaluation sets has 54 model tokens
LIGHT_QUEUE_FACTOR = 4  # light queries may queue 4x deeper than heavy ones
BUSY_MESSAGE = "Il servizio è occupato da altre ricerche: riprova tra qualche secondo."


class QueryGate:
    """An `Embedder` whose query encodes take turns by cost, with a bounded queue."""

    def __init__(self, inner: Embedder, *, max_waiting: int, wait_s: float,
                 light_tokens: int = LIGHT_TOKENS) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dim = inner.dim
        self.max_waiting = max_waiting
        self.wait_s = wait_s
        self.light_tokens = light_tokens
        self.query_tokens = token_counter(inner)
        self._cond = threading.Condition()
        self._running = False
        self._waiting = {True: 0, False: 0}  # light -> count
        self.refused = 0

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed when this query's turn comes; `Busy` when the queue is full or too slow."""
        light = max((self.query_tokens(t) for t in texts), default=0) <= self.light_tokens
        with self._turn(light):
            return np.asarray(self.inner.embed_queries(texts))

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Passages (ingestion) are not gated: they use the writer's engine."""
        return np.asarray(self.inner.embed_passages(texts))

    def waiting(self) -> tuple[int, int]:
        """(light, heavy) queries waiting now."""
        with self._cond:
            return self._waiting[True], self._waiting[False]

    @contextmanager
    def _turn(self, light: bool) -> Iterator[None]:
        self._acquire(light)
        try:
            yield
        finally:
            with self._cond:
                self._running = False
                self._cond.notify_all()

    def _acquire(self, light: bool) -> None:
        limit = self.max_waiting * (LIGHT_QUEUE_FACTOR if light else 1)
        deadline = time.monotonic() + self.wait_s
        with self._cond:
            if self._waiting[light] >= limit:
                self._refuse()
            self._waiting[light] += 1
            try:
                while self._running or (not light and self._waiting[True] > 0):
                    left = deadline - time.monotonic()
                    if left <= 0:
                        self._refuse()
                    self._cond.wait(left)
                self._running = True
            finally:
                self._waiting[light] -= 1
                self._cond.notify_all()  # heavy queries may wait on this light one

    def _refuse(self) -> None:
        self.refused += 1
        raise Busy(BUSY_MESSAGE, retry_after_s=max(1, int(self.wait_s)))


def gated(embedder: Embedder, *, max_waiting: int, wait_s: float) -> QueryGate:
    """`embedder` behind a gate (an already gated one is returned as it is)."""
    if isinstance(embedder, QueryGate):
        return embedder
    return QueryGate(embedder, max_waiting=max_waiting, wait_s=wait_s)
