"""Passage vectors of the whole store, for theme tagging and similar practices.

Vectors come from the embedding cache the index builder fills (key: model id + sha256 of
`Chunk.indexed_text()`), so after a build nothing is embedded again; the few missing ones
are embedded with `embed_passages` and written back to the cache. The table is memoised per
(database, store version, model): documents change only through the store, which bumps it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from index.cache import EmbeddingCache, text_key
from ingest.models import Chunk

if TYPE_CHECKING:
    from bot.service import Raccordo

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


def passage_vectors(service: Raccordo, chunks: list[Chunk]) -> np.ndarray:
    """Passage vectors (n, dim) for chunks, from the cache, embedding only what is missing."""
    embedder = service.embedder
    if not chunks:
        return np.empty((0, embedder.dim), dtype=np.float32)
    keys = [text_key(c.indexed_text()) for c in chunks]
    cache = EmbeddingCache(service.settings.embedding_cache_dir)
    try:
        found = cache.get_many(embedder.model_id, keys, embedder.dim)
        missing = [i for i, k in enumerate(keys) if k not in found]
        if missing:
            fresh = embedder.embed_passages([chunks[i].indexed_text() for i in missing])
            new = {keys[i]: fresh[j] for j, i in enumerate(missing)}
            cache.put_many(embedder.model_id, new)
            found.update(new)
    finally:
        cache.close()
    out = np.stack([found[k] for k in keys]).astype(np.float32, copy=False)
    return _normalised(out)


def passage_table(service: Raccordo) -> PassageTable:
    """The memoised table of all chunks of the store (rebuilt when the store changes)."""
    store = service.store
    key = (str(store.path), store.version(), service.embedder.model_id)
    with _MEMO_LOCK:
        table = _MEMO.get(key)
    if table is not None:
        return table
    chunks = store.chunks()
    vectors = passage_vectors(service, chunks)
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


def _normalised(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(vectors / norms, dtype=np.float32)
