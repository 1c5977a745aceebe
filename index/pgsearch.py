"""Hybrid search on PostgreSQL: pgvector (HNSW, cosine) + BM25 postings, fused as embedded.

The fusion, the reference bonuses and pins, and the hit order are those of
`index.searcher.Searcher`; only where the two ranked lists come from differs. The per-row
chunk metadata (for references and in-memory masks) is a snapshot reloaded when the store's
version moves, like a new generation of the embedded backend.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from index.dense import EXACT_FALLBACK_MAX, ef_search_for
from index.embedders import Embedder
from index.errors import ModelMismatch
from index.fusion import DEFAULT_WEIGHTS, Weights
from index.hybrid import collect_hits, rank
from index.lexical import bm25_idf
from index.metadata import ChunkTable, chunk_table
from index.models import Filters, Hit
from index.pgqueries import (
    Clause,
    bm25_sql,
    dense_sql,
    filter_sql,
    similarity_sql,
    theme_sql,
    tsvector_sql,
)
from index.searcher import MIN_POOL, RELOAD_CHECK_S
from index.thesaurus import Thesaurus
from ingest.pgstore import PgStore
from ingest.storerows import DOC_SELECT, doc_from_row
from ingest.storetypes import StoredChunk

log = logging.getLogger(__name__)

LEXICAL_MODES = ("bm25", "tsvector")


@dataclass(frozen=True)
class Snapshot:
    """The store as of one version: sorted chunk ids, their metadata, BM25 collection stats."""

    version: int
    ids: np.ndarray
    table: ChunkTable
    avgdl: float
    idf: dict[str, float] = field(default_factory=dict)  # term weights asked of this version

    @property
    def pointer(self) -> str:
        """What /readyz shows as the served state ('pg-<version>')."""
        return f"pg-{self.version}"

    def rows_of(self, chunk_ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """Rows of the chunk ids present in the snapshot, and which inputs were present."""
        ids = np.asarray(chunk_ids, dtype=np.int64)
        rows = np.searchsorted(self.ids, ids).clip(0, max(self.ids.size - 1, 0))
        present = self.ids[rows] == ids if self.ids.size else np.zeros(ids.size, dtype=bool)
        return rows.astype(np.int64), present


def load_snapshot(store: PgStore) -> Snapshot:
    """Read version, chunk metadata and documents in one consistent (repeatable read) view."""
    with store.db.connect() as conn, conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        row = conn.execute("SELECT value FROM store_meta WHERE key='version'").fetchone()
        rows = conn.execute("SELECT id, doc_id, article, commi, vigente, lex_len FROM chunks"
                            " ORDER BY id").fetchall()
        docs = [doc_from_row(r) for r in conn.execute(DOC_SELECT + " GROUP BY d.id")]
    ids = np.array([int(r[0]) for r in rows], dtype=np.int64)
    avgdl = float(np.mean([r[5] for r in rows])) if rows else 1.0
    return Snapshot(int(row[0]) if row else 0, ids, chunk_table(rows, docs, ids), avgdl)


class PgSearcher:
    """The `Searcher` interface over PostgreSQL; thread-safe, follows the store's version."""

    def __init__(self, store: PgStore, embedder: Embedder, *,
                 weights: Weights = DEFAULT_WEIGHTS, lexical: str = "bm25",
                 thesaurus: Thesaurus | None = None) -> None:
        if lexical not in LEXICAL_MODES:
            raise ValueError(f"lexical must be one of {LEXICAL_MODES}")
        self.store = store
        self.embedder = embedder
        self.weights = weights
        self.lexical = lexical
        self.thesaurus = thesaurus  # BM25 only: PostgreSQL's full text ("tsvector") has none
        self._snap: Snapshot | None = None
        self._lock = threading.Lock()
        self._checked_at = 0.0

    @property
    def generation(self) -> Snapshot:
        """The snapshot in use (reloaded when the store's version moved)."""
        snap, now = self._snap, time.monotonic()
        if snap is not None and now - self._checked_at < RELOAD_CHECK_S:
            return snap
        if snap is None:
            self._check_model()
        self._checked_at = now
        if snap is not None and self.store.version() == snap.version:
            return snap
        with self._lock:
            if self._snap is None or self._snap.version != self.store.version():
                self._snap = load_snapshot(self.store)
                log.info("loaded store version %s", self._snap.version)
            return self._snap

    def _check_model(self) -> None:
        stored = self.store.meta_value("model_id")
        if stored is not None and stored != self.embedder.model_id:
            raise ModelMismatch(stored, self.embedder.model_id)

    def term_weight(self, term: str) -> float:
        """BM25 (Lucene) IDF of an analysed term in the database, remembered for the store's
        version: re-ranking and answers ask it for every passage and sentence they read."""
        snap = self.generation
        weight = snap.idf.get(term)
        if weight is None:
            row = self._rows("SELECT COUNT(*) FROM chunk_terms WHERE term = %s", [term])
            weight = snap.idf[term] = bm25_idf(len(snap.ids), int(row[0][0]))
        return weight

    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> list[Hit]:
        """The `k` best passages for a query within the filters, best first."""
        snap = self.generation
        query, filters = query.strip(), filters or Filters()
        if not query or k <= 0 or snap.ids.size == 0:
            return []
        mask = self._mask(snap, filters)
        if mask is not None and not mask.any():
            return []
        pool = max(MIN_POOL, 4 * k)
        qvec = self.embedder.embed_queries([query])[0]
        where = filter_sql(filters)
        exact = mask is not None and int(mask.sum()) <= EXACT_FALLBACK_MAX
        dense_rows, dense_scores = self._ranked(snap, dense_sql(qvec, pool, where, exact=exact),
                                                ef=max(ef_search_for(snap.ids.size), pool))
        lex = self._lexical_sql(snap, query, where, limit=pool)
        lex_rows, lex_top = self._ranked(snap, lex) if lex else self._ranked(snap, None)
        ranking = rank(self.weights, snap.table.refs, query, (dense_rows, dense_scores),
                       (lex_rows, lex_top), mask,
                       lambda rows: self._row_similarities(snap, qvec, rows))

        def fetch(ids: list[int]) -> tuple[dict[int, StoredChunk], dict[int, float],
                                           dict[int, float]]:
            lex = self._lexical_sql(snap, query, filter_sql(Filters()), limit=None, only=ids)
            return (self.store.chunks_by_ids(ids), self._similarities(qvec, ids),
                    {int(r[0]): float(r[1]) for r in self._rows(*lex)} if lex else {})

        return collect_hits(ranking, k, lambda row: int(snap.ids[row]), fetch)

    def _lexical_sql(self, snap: Snapshot, query: str, where: Clause, *, limit: int | None,
                     only: Sequence[int] | None = None) -> Clause | None:
        if self.lexical == "tsvector":
            return tsvector_sql(query, where, limit=limit, only=only)
        return bm25_sql(query, int(snap.ids.size), snap.avgdl, where, limit=limit, only=only,
                        thesaurus=self.thesaurus)

    def _rows(self, sql: str, args: list[Any], ef: int | None = None) -> list[Any]:
        with self.store.db.connect() as conn, conn.transaction():
            if ef is not None:
                conn.execute(f"SET LOCAL hnsw.ef_search = {int(ef)}")
            return conn.execute(sql, args).fetchall()

    def _ranked(self, snap: Snapshot, clause: Clause | None,
                ef: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Rows (of the snapshot) and scores of a ranked query, best first."""
        got = self._rows(*clause, ef=ef) if clause else []
        if not got:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        rows, present = snap.rows_of([int(r[0]) for r in got])
        scores = np.array([float(r[1]) for r in got], dtype=np.float32)
        return rows[present], scores[present]

    def _mask(self, snap: Snapshot, filters: Filters) -> np.ndarray | None:
        if filters.is_empty():
            return None
        mask = snap.table.document_mask(filters)
        if filters.theme is not None:
            themed = [int(r[0]) for r in self._rows(*theme_sql(filters.theme))]
            mask &= np.isin(snap.ids, np.array(themed, dtype=np.int64))
        return mask

    def _similarities(self, qvec: np.ndarray, ids: Sequence[int]) -> dict[int, float]:
        return {int(r[0]): float(r[1]) for r in self._rows(*similarity_sql(qvec, ids))}

    def _row_similarities(self, snap: Snapshot, qvec: np.ndarray, rows: list[int]
                          ) -> dict[int, float]:
        """Dense similarity of the query to snapshot rows (chunks of referenced articles)."""
        sims = self._similarities(qvec, [int(snap.ids[r]) for r in rows])
        return {r: sims.get(int(snap.ids[r]), 0.0) for r in rows}
