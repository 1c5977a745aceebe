"""Query embeddings take turns: short queries first, a bounded queue, never an endless wait.

A repeated query is served from an LRU of query vectors and takes no turn at all; light
queries that arrive together are embedded in one call (`index.microbatch`).
The embedding engine encodes one text at a time. Without a turn order, forty long queries
queue in front of a short one (measured: a normal search waited 183 s). The gate gives each
query a lane by its cost in model tokens. Light queries (real questions) run on the query
engine; heavy ones run on a second engine when one is given (the service passes the
writer's), so a light query never waits behind a heavy one; with a single engine, light
queries always take the next turn. Each lane holds a bounded number of waiting queries, and
a query that cannot get a turn in time is refused with `Busy` (HTTP 503). A heavy query
holds its lane for as long again after it is encoded, so long queries use at most half a
core however many arrive.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np

from bot.errors import Busy
from index.embedders import Embedder
from index.microbatch import WINDOW_S, MicroBatcher
from index.querycache import QueryVectorCache
from index.querycut import token_counter

LIGHT_TOKENS = 64  # the longest question of the evaluation sets has 54 model tokens
LIGHT_QUEUE_FACTOR = 4  # light queries may queue 4x deeper than heavy ones
HEAVY_REST_MAX_S = 2.0
BUSY_MESSAGE = "Il servizio è occupato da altre ricerche: riprova tra qualche secondo."


class QueryGate:
    """An `Embedder` whose query encodes take turns by cost, with a bounded queue."""

    def __init__(self, inner: Embedder, *, max_waiting: int, wait_s: float,
                 heavy: Callable[[], Embedder] | None = None,
                 light_tokens: int = LIGHT_TOKENS,
                 cache: QueryVectorCache | None = None,
                 batch_window_s: float = WINDOW_S) -> None:
        self.inner = inner
        self.cache = cache if cache is not None else QueryVectorCache()
        self.model_id = inner.model_id
        self.dim = inner.dim
        self.max_waiting = max_waiting
        self.wait_s = wait_s
        self.light_tokens = light_tokens
        self.query_tokens = token_counter(inner)
        self._heavy = heavy
        self._cond = threading.Condition()
        self._busy: set[int] = set()  # ids of engines encoding now
        self._waiting = {True: 0, False: 0}  # light -> count
        self.refused = 0
        self.batcher = MicroBatcher(lambda batch: self._run(batch, True, inner),
                                    window_s=batch_window_s)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of repeated queries from the cache; others when their turn comes."""
        found = {t: v for t in texts if (v := self.cache.get(self.model_id, t)) is not None}
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            for text, vector in zip(missing, self._encode(missing), strict=True):
                self.cache.put(self.model_id, text, vector)
                found[text] = vector
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        return np.stack([found[t] for t in texts])

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed when this query's turn comes; `Busy` when the queue is full or too slow.

        Light queries arriving together share one turn and one engine call (micro-batching).
        """
        light = max((self.query_tokens(t) for t in texts), default=0) <= self.light_tokens
        if light:
            if self.batcher.waiting() >= self.max_waiting * LIGHT_QUEUE_FACTOR:
                with self._cond:
                    self._refuse()
            return self.batcher.embed(texts)
        return self._run(texts, False, self.inner if self._heavy is None else self._heavy())

    def _run(self, texts: Sequence[str], light: bool, engine: Embedder) -> np.ndarray:
        """One engine call in its lane's turn (heavy ones then rest as long as they ran)."""
        with self._turn(light, engine):
            start = time.monotonic()
            vectors = np.asarray(engine.embed_queries(texts))
            if not light:  # heavy queries get at most half of one core: rest as long
                time.sleep(min(time.monotonic() - start, HEAVY_REST_MAX_S))
            return vectors

    def admit(self, text: str) -> None:
        """`Busy` at once for a heavy query whose lane is full (before any work on it)."""
        if self.query_tokens(text) > self.light_tokens:
            with self._cond:
                if self._waiting[False] >= self.max_waiting:
                    self._refuse()

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Passages are not gated (ingestion uses the writer's engine)."""
        return np.asarray(self.inner.embed_passages(texts))

    def waiting(self) -> tuple[int, int]:
        """(light, heavy) queries waiting now (light: in a turn's queue or for a batch)."""
        batched = self.batcher.waiting()
        with self._cond:
            return self._waiting[True] + batched, self._waiting[False]

    @contextmanager
    def _turn(self, light: bool, engine: Embedder) -> Iterator[None]:
        self._acquire(light, id(engine))
        try:
            yield
        finally:
            with self._cond:
                self._busy.discard(id(engine))
                self._cond.notify_all()

    def _acquire(self, light: bool, engine: int) -> None:
        limit = self.max_waiting * (LIGHT_QUEUE_FACTOR if light else 1)
        deadline = time.monotonic() + self.wait_s
        with self._cond:
            if self._waiting[light] >= limit:
                self._refuse()
            self._waiting[light] += 1
            try:
                while engine in self._busy or self._yields(light, engine):
                    left = deadline - time.monotonic()
                    if left <= 0:
                        self._refuse()
                    self._cond.wait(left)
                self._busy.add(engine)
            finally:
                self._waiting[light] -= 1
                self._cond.notify_all()  # heavy queries may wait on this light one

    def _yields(self, light: bool, engine: int) -> bool:
        """A heavy query lets waiting light ones go first on a shared engine."""
        return not light and engine == id(self.inner) and self._waiting[True] > 0

    def _refuse(self) -> None:
        self.refused += 1
        raise Busy(BUSY_MESSAGE, retry_after_s=max(1, int(self.wait_s)))


def gated(embedder: Embedder, *, max_waiting: int, wait_s: float,
          heavy: Callable[[], Embedder] | None = None) -> QueryGate:
    """`embedder` behind a gate (an already gated one is returned as it is)."""
    if isinstance(embedder, QueryGate):
        return embedder
    return QueryGate(embedder, max_waiting=max_waiting, wait_s=wait_s, heavy=heavy)
