"""The backend-free half of hybrid search: fusion, reference pins, hits (both searchers)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from index.fusion import Weights, add_bonus, fuse, order
from index.models import Hit
from index.references import ReferenceTable, parse_references
from ingest.storetypes import StoredChunk

PINNED_SCORE = 2.0  # pinned reference matches score 2 + fused score (fused scores are ≤ 1)
Ranked = tuple[np.ndarray, np.ndarray]  # rows and scores, best first


@dataclass(frozen=True)
class Ranking:
    """Rows best first (pinned references ahead), their fused scores, the pinned rows."""

    rows: list[int]
    fused: dict[int, float]
    pinned: set[int]


def rank(weights: Weights, refs: ReferenceTable, query: str, dense: Ranked, lexical: Ranked,
         mask: np.ndarray | None, similarities: Callable[[list[int]], dict[int, float]]
         ) -> Ranking:
    """Fuse the two lists, add reference bonuses and pin the provisions the query names.

    `similarities(rows)` gives the query's dense similarity to the rows of the referenced
    articles (pins go to the most similar of them).
    """
    fused = fuse(weights, dense, lexical)
    pinned: list[int] = []
    named = parse_references(query)
    if named:
        add_bonus(fused, {r: b * weights.bonus_unit for r, b in
                          refs.bonus(named, list(fused)).items()})
        rows = list(dict.fromkeys(refs.candidates(named)))
        local = similarities(rows) if rows else {}
        pinned = [r for r in refs.pinned(named, local) if mask is None or mask[r]]
    return Ranking(order(fused, pinned), fused, set(pinned))


Scores = Mapping[int, float]  # by chunk id
Fetch = Callable[[list[int]], tuple[Mapping[int, StoredChunk], Scores, Scores]]


def collect_hits(ranking: Ranking, k: int, chunk_id: Callable[[int], int], fetch: Fetch
                 ) -> list[Hit]:
    """The first `k` ranked rows whose chunk is still stored, as hits.

    `fetch(chunk_ids)` returns the stored chunks (deleted ones are left out) with their dense
    and lexical scores; it is called on batches of k + 10 rows until k hits are found.
    """
    hits: list[Hit] = []
    start = 0
    while len(hits) < k and start < len(ranking.rows):
        rows: Sequence[int] = ranking.rows[start:start + k + 10]
        start += len(rows)
        ids = [chunk_id(r) for r in rows]
        found, dense, lexical = fetch(ids)
        for row, cid in zip(rows, ids, strict=True):
            stored = found.get(cid)
            if stored is None or len(hits) >= k:
                continue
            score = ranking.fused.get(row, 0.0) + (PINNED_SCORE if row in ranking.pinned
                                                   else 0.0)
            hits.append(Hit(rank=len(hits) + 1, score=score, chunk=stored.chunk,
                            document=stored.document, dense=float(dense.get(cid, 0.0)),
                            lexical=float(lexical.get(cid, 0.0))))
    return hits
