"""Repeated queries are served from an LRU of vectors, without taking a turn at the engine."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bot.app.gate import QueryGate
from index.querycache import QueryVectorCache


class CountingEmbedder:
    """A real (deterministic) embedder that counts what it encodes."""

    model_id = "counting"
    dim = 4

    def __init__(self) -> None:
        self.encoded: list[str] = []

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.encoded.extend(texts)
        return np.array([[len(t), t.count("a"), 1.0, 0.0] for t in texts], dtype=np.float32)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed_queries(texts)

    def query_tokens(self, text: str) -> int:
        return len(text.split())


def test_lru_drops_the_least_recently_used() -> None:
    cache = QueryVectorCache(size=2)
    cache.put("m", "a", np.ones(2))
    cache.put("m", "b", np.zeros(2))
    assert cache.get("m", "a") is not None  # "a" is now the most recent
    cache.put("m", "c", np.ones(2))
    assert cache.get("m", "b") is None and len(cache) == 2
    assert cache.get("other-model", "a") is None
    vector = cache.get("m", "a")
    assert vector is not None and not vector.flags.writeable


def test_the_gate_encodes_a_repeated_query_once() -> None:
    engine = CountingEmbedder()
    gate = QueryGate(engine, max_waiting=2, wait_s=1.0)  # type: ignore[arg-type]
    first = gate.embed_queries(["chi nomina i dirigenti"])
    again = gate.embed_queries(["chi nomina i dirigenti", "casa", "casa"])
    assert engine.encoded == ["chi nomina i dirigenti", "casa"]
    assert np.array_equal(first[0], again[0]) and np.array_equal(again[1], again[2])
    assert gate.cache.hits >= 1
