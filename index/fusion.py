"""Weighted reciprocal-rank fusion of ranked lists, plus bounded score bonuses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

RRF_K = 60  # the textbook constant, used when no weights are given


@dataclass(frozen=True)
class Weights:
    """Weights of the fused lists, chosen on dev.jsonl and SQuAD-it (docs/benchmarks-retrieval.md).

    Italian BM25 is the stronger list on both sets, so it weighs 1.5 against 1.0 for e5-small;
    k=10 lets first ranks count more than the textbook k=60.
    """

    dense: float = 1.0
    lexical: float = 1.5
    rrf_k: int = 10


DEFAULT_WEIGHTS = Weights()


def rrf(ranked: Iterable[tuple[np.ndarray, float]], k: int = RRF_K) -> dict[int, float]:
    """Σ weight / (k + rank) over lists of ids given best first (rank starts at 1)."""
    scores: dict[int, float] = {}
    for ids, weight in ranked:
        for rank, key in enumerate(ids.tolist(), start=1):
            scores[key] = scores.get(key, 0.0) + weight / (k + rank)
    return scores


def add_bonus(scores: dict[int, float], bonus: Mapping[int, float]) -> None:
    """Add bonuses (in RRF units) to ids already fused or not."""
    for key, value in bonus.items():
        scores[key] = scores.get(key, 0.0) + value


def order(scores: Mapping[int, float], pinned: Iterable[int] = ()) -> list[int]:
    """Ids best first: pinned ids (kept in their given order) ahead of the rest by score."""
    first = list(dict.fromkeys(pinned))
    seen = set(first)
    rest = sorted((key for key in scores if key not in seen), key=lambda key: (-scores[key], key))
    return first + rest
