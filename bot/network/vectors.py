"""Passage vectors of the whole store, for theme tagging and similar practices.

Vectors come from the embedding cache the index builder fills, through the builder's own
`embed_cached` (key: model id + sha256 of `Chunk.indexed_text()`), so after a build nothing
is embedded again. The table is memoised per
(database, store version, model): documents change only through the store, which bumps it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from index.builder import embed_cached
from index.cache import EmbeddingCache
from index.embedders import normalise
from ingest.models import Chunk
from ingest.storeapi import VectorStore

if TYPE_CHECKING:
    from bot.network.sources import Sources

_MEMO: dict[tuple[str, int, str], PassageTable] = {}
_MEMO_LOCK = threading.Lock()


@dataclass(frozen=True)
class PassageTable:
    """Every chunk of the store: ids, document ids and L2-normalised passage vectors."""

    chunk_ids: np.ndarray  # (n,) int64
    doc_ids: np.ndarray  # (n,) int64
    vectors: np.ndarray  # (n, dim) float32

    def __len__(self) -> int:
        return int(self.chunk_ids.shape[0])

    def rows_of(self, doc_id: int) -> np.ndarray:
        """Row indexes of one document's chunks, in document order."""
        return np.flatnonzero(self.doc_ids == doc_id)


def passage_vectors(sources: Sources, chunks: list[Chunk]) -> np.ndarray:
    """L2-normalised passage vectors (n, dim) for chunks, embedding only what the cache lacks."""
    embedder = sources.embedder
    if not chunks:
        return np.empty((0, embedder.dim), dtype=np.float32)
    if isinstance(sources.store, VectorStore):  # PostgreSQL keeps them: nothing to embed
        return normalise(sources.store.vectors([c.id or 0 for c in chunks]))
    cache = EmbeddingCache(sources.cache_dir)
    try:
        vectors, _ = embed_cached([c.indexed_text() for c in chunks], embedder, cache)
    finally:
        cache.close()
    return normalise(vectors)


def passage_table(sources: Sources) -> PassageTable:
    """The memoised table of all chunks of the store (rebuilt when the store changes)."""
    store = sources.store
    key = (store.location, store.version(), sources.embedder.model_id)
    with _MEMO_LOCK:
        table = _MEMO.get(key)
    if table is not None:
        return table
    chunks = store.chunks()
    vectors = passage_vectors(sources, chunks)
    table = PassageTable(
        chunk_ids=np.array([c.id for c in chunks], dtype=np.int64),
        doc_ids=np.array([c.doc_id for c in chunks], dtype=np.int64),
        vectors=vectors,
    )
    with _MEMO_LOCK:
        for old in [k for k in _MEMO if k[0] == key[0]]:
            del _MEMO[old]
        _MEMO[key] = table
    return table
