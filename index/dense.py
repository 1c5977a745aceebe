"""The dense side: FAISS inner-product search with ID mapping (flat, or HNSW when large)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import faiss
import numpy as np

_faiss: Any = faiss  # the stubs lack some classes (SearchParametersHNSW)

HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 256  # recall@10 0.994 at 100k, 0.94 at 1M (bench scale)
HNSW_EF_SEARCH_LARGE = 512  # beyond 500k vectors: recall@10 0.99 at 1M, p95 6.7 ms


def ef_search_for(size: int) -> int:
    """HNSW efSearch for an index of `size` vectors (from docs/benchmarks-retrieval.md)."""
    return HNSW_EF_SEARCH if size <= 500_000 else HNSW_EF_SEARCH_LARGE
EXACT_FALLBACK_MAX = 50_000  # filtered HNSW searches over fewer rows than this go exact


class DenseIndex:
    """A FAISS index keyed by chunk id (IndexIDMap2 over flat IP or HNSW)."""

    def __init__(self, index: faiss.Index, kind: str) -> None:
        self._index = index
        self.kind = kind
        self.size = int(index.ntotal)
        self.dim = int(index.d)

    @classmethod
    def build(cls, vectors: np.ndarray, ids: np.ndarray, flat_max: int, *,
              threads: int = 0) -> DenseIndex:
        """Flat IP up to `flat_max` rows, HNSW (M=32) beyond; vectors[i] gets ids[i]."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        n, dim = vectors.shape
        if n <= flat_max:
            inner: faiss.Index = faiss.IndexFlatIP(dim)
            kind = "flat-ip"
        else:
            inner = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            inner.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            inner.hnsw.efSearch = ef_search_for(n)
            kind = "hnsw"
        index = faiss.IndexIDMap2(inner)
        if threads:
            faiss.omp_set_num_threads(threads)
        if n:
            index.add_with_ids(vectors, np.ascontiguousarray(ids, dtype=np.int64))
        return cls(index, kind)

    def save(self, path: Path) -> None:
        """Write the FAISS file (the caller fsyncs and publishes it)."""
        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path, kind: str) -> DenseIndex:
        """Read a FAISS file written by `save`."""
        index = faiss.read_index(str(path))
        if kind == "hnsw":
            wrapper: Any = faiss.downcast_index(index)
            inner: Any = faiss.downcast_index(wrapper.index)
            inner.hnsw.efSearch = ef_search_for(int(index.ntotal))
        return cls(index, kind)

    def search(self, query: np.ndarray, n: int, allowed: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """Ids and inner products of the `n` nearest vectors (restricted to `allowed` ids)."""
        if self.size == 0 or n <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, self.dim)
        faiss.omp_set_num_threads(1)  # per calling thread: single queries run faster on 1
        n = min(n, self.size)
        if allowed is None:
            scores, rows = self._index.search(q, n)
        elif self.kind == "hnsw" and allowed.size <= EXACT_FALLBACK_MAX:
            return self._exact(q, n, allowed)
        else:
            params: Any = (_faiss.SearchParametersHNSW(efSearch=max(ef_search_for(self.size), n))
                           if self.kind == "hnsw" else faiss.SearchParameters())
            params.sel = faiss.IDSelectorBatch(allowed.astype(np.int64))
            scores, rows = self._index.search(q, min(n, int(allowed.size)), params=params)
        keep = rows[0] >= 0
        return rows[0][keep].astype(np.int64), scores[0][keep].astype(np.float32)

    def _exact(self, q: np.ndarray, n: int, allowed: np.ndarray) -> tuple[np.ndarray,
                                                                          np.ndarray]:
        if allowed.size == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        sims = self.similarities(q[0], allowed)
        top = np.argsort(-sims, kind="stable")[:n]
        return allowed[top].astype(np.int64), sims[top].astype(np.float32)

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of `ids` (all present), one row each."""
        if ids.size == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self._index.reconstruct_batch(
            np.ascontiguousarray(ids, dtype=np.int64)), dtype=np.float32)

    def similarities(self, query: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """Inner products of the query with the stored vectors of `ids` (all present)."""
        if ids.size == 0:
            return np.zeros(0, dtype=np.float32)
        vecs = self._index.reconstruct_batch(np.ascontiguousarray(ids, dtype=np.int64))
        return (vecs @ np.asarray(query, dtype=np.float32).reshape(-1)).astype(np.float32)
