"""Hybrid search over the published generation: dense + BM25, fused, references first."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.builder import DENSE_FILE, IDS_FILE, LEXICAL_DIR
from index.dense import DenseIndex
from index.embedders import Embedder
from index.fusion import DEFAULT_WEIGHTS, Weights
from index.generations import Manifest, current_pointer, open_current
from index.hybrid import PINNED_SCORE as PINNED_SCORE  # re-exported: answers read it here
from index.hybrid import collect_hits, rank
from index.lexical import LexicalIndex, bm25_idf, top_positive
from index.metadata import ChunkTable, load_chunk_table, theme_chunk_ids
from index.models import Filters, Hit
from index.thesaurus import Thesaurus
from ingest.store import Store
from ingest.storetypes import StoredChunk

log = logging.getLogger(__name__)

RELOAD_CHECK_S = 1.0
MIN_POOL = 50


@dataclass(frozen=True)
class Generation:
    """A loaded generation: its files in memory plus per-row chunk metadata."""

    pointer: str
    manifest: Manifest
    ids: np.ndarray  # sorted chunk ids; row i ↔ ids[i]
    dense: DenseIndex
    lexical: LexicalIndex
    table: ChunkTable

    def rows_of(self, chunk_ids: np.ndarray) -> np.ndarray:
        """Rows of chunk ids that belong to this generation."""
        return np.searchsorted(self.ids, chunk_ids).astype(np.int64)


def load_generation(store: Store, index_dir: Path, model_id: str) -> Generation:
    """Load and verify the published generation for `model_id`."""
    pointer = current_pointer(index_dir) or ""
    gen_dir, manifest = open_current(index_dir, model_id)
    ids = np.load(gen_dir / IDS_FILE, allow_pickle=False)
    dense = DenseIndex.load(gen_dir / DENSE_FILE, manifest.dense_kind)
    lexical = LexicalIndex.load(gen_dir / LEXICAL_DIR, manifest.chunks)
    table = load_chunk_table(store, ids)
    return Generation(pointer or gen_dir.name, manifest, ids, dense, lexical,
                      table)


class Searcher:
    """Thread-safe search that hot-reloads new generations and serves the old one meanwhile."""

    def __init__(self, store: Store, index_dir: Path, embedder: Embedder, *,
                 weights: Weights = DEFAULT_WEIGHTS, thesaurus: Thesaurus | None = None) -> None:
        self.store = store
        self.index_dir = Path(str(index_dir))
        self.embedder = embedder
        self.weights = weights
        self.thesaurus = thesaurus  # alternatives of question words for BM25 (index.thesaurus)
        self._gen: Generation | None = None
        self._load_lock = threading.Lock()
        self._checked_at = 0.0

    @property
    def generation(self) -> Generation:
        """The generation in use (loading or reloading it when due)."""
        gen = self._gen
        now = time.monotonic()
        if gen is not None and now - self._checked_at < RELOAD_CHECK_S:
            return gen
        self._checked_at = now
        pointer = current_pointer(self.index_dir)
        if gen is not None and pointer == gen.pointer:
            return gen
        if gen is None:
            with self._load_lock:
                if self._gen is None or self._gen.pointer != pointer:
                    self._gen = load_generation(self.store, self.index_dir,
                                                self.embedder.model_id)
                return self._gen
        if self._load_lock.acquire(blocking=False):  # others keep serving the old one
            try:
                self._gen = load_generation(self.store, self.index_dir, self.embedder.model_id)
                log.info("loaded index %s", self._gen.pointer)
            finally:
                self._load_lock.release()
        return self._gen or gen

    def term_weight(self, term: str) -> float:
        """BM25 (Lucene) IDF of an analysed term in the served generation."""
        gen = self.generation
        n, df = len(gen.ids), gen.lexical.document_frequency(term)
        return bm25_idf(n, df)

    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> list[Hit]:
        """The `k` best passages for a query within the filters, best first."""
        gen = self.generation
        query = query.strip()
        if not query or k <= 0 or gen.ids.size == 0:
            return []
        mask = self._mask(gen, filters or Filters())
        if mask is not None and not mask.any():
            return []
        pool = max(MIN_POOL, 4 * k)
        qvec = self.embedder.embed_queries([query])[0]
        allowed = gen.ids[mask] if mask is not None else None
        dense_ids, dense_scores = gen.dense.search(qvec, pool, allowed)
        dense_rows = gen.rows_of(dense_ids)
        lex_scores = gen.lexical.scores(query, thesaurus=self.thesaurus)
        if mask is not None:
            lex_scores = np.where(mask, lex_scores, 0.0).astype(np.float32)
        lex_rows, lex_top = top_positive(lex_scores, pool)

        def similarities(rows: list[int]) -> dict[int, float]:
            sims = gen.dense.similarities(qvec, gen.ids[np.array(rows, dtype=np.int64)])
            return dict(zip(rows, sims.tolist(), strict=True))

        ranking = rank(self.weights, gen.table.refs, query, (dense_rows, dense_scores),
                       (lex_rows, lex_top), mask, similarities)

        def fetch(ids: list[int]) -> tuple[dict[int, StoredChunk], dict[int, float],
                                           dict[int, float]]:
            sims = gen.dense.similarities(qvec, np.array(ids, dtype=np.int64)).tolist()
            rows = gen.rows_of(np.array(ids, dtype=np.int64)).tolist()
            return (self.store.chunks_by_ids(ids),  # chunks deleted since are left out
                    dict(zip(ids, sims, strict=True)),
                    {cid: float(lex_scores[r]) for cid, r in zip(ids, rows, strict=True)})

        return collect_hits(ranking, k, lambda row: int(gen.ids[row]), fetch)

    def _mask(self, gen: Generation, filters: Filters) -> np.ndarray | None:
        if filters.is_empty():
            return None
        mask = gen.table.document_mask(filters)
        if filters.theme is not None:
            themed = theme_chunk_ids(self.store, filters.theme)
            mask &= np.isin(gen.ids, themed)
        return mask
