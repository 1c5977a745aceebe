"""Weighted reciprocal-rank fusion of ranked lists, plus bounded score bonuses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

RRF_K = 60  # the textbook constant, used when no weights are given


@dataclass(frozen=True)
class Weights:
    """How the dense and lexical lists are fused (chosen in docs/benchmarks-retrieval.md).

    `convex` (default): dense × minmax(cosine) + lexical × minmax(BM25) over each top list;
    `rrf`: Σ weight / (rrf_k + rank). Italian BM25 is the stronger list on both eval sets.
    """

    dense: float = 0.4
    lexical: float = 0.6
    method: str = "convex"
    rrf_k: int = RRF_K

    @property
    def bonus_unit(self) -> float:
        """What one reference-bonus unit adds: a first rank of a list of weight 1."""
        return 1.0 / (self.rrf_k + 1) if self.method == "rrf" else 1.0


DEFAULT_WEIGHTS = Weights()
PLAIN_RRF = Weights(dense=1.0, lexical=1.0, method="rrf")


def fuse(weights: Weights, dense: tuple[np.ndarray, np.ndarray],
         lexical: tuple[np.ndarray, np.ndarray]) -> dict[int, float]:
    """Fused scores of (ids, scores) lists given best first, by the weights' method."""
    if weights.method == "rrf":
        return rrf([(dense[0], weights.dense), (lexical[0], weights.lexical)], k=weights.rrf_k)
    return convex([(dense[0], dense[1], weights.dense),
                   (lexical[0], lexical[1], weights.lexical)])


def convex(lists: Iterable[tuple[np.ndarray, np.ndarray, float]]) -> dict[int, float]:
    """Σ weight × min-max normalised score (0 for an id absent from a list)."""
    fused: dict[int, float] = {}
    for ids, scores, weight in lists:
        if scores.size == 0:
            continue
        low, high = float(scores.min()), float(scores.max())
        span = (high - low) or 1.0
        for key, value in zip(ids.tolist(), scores.tolist(), strict=True):
            fused[key] = fused.get(key, 0.0) + weight * (value - low) / span
    return fused


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
