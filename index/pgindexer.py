"""What the PostgreSQL store keeps beside each chunk: its vector (cached) and BM25 terms."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path

import numpy as np

from index.builder import embed_cached
from index.cache import EmbeddingCache
from index.embedders import Embedder
from index.tokenizer import analyze
from ingest.storeapi import IndexedText


class CachedIndexer:
    """A `PassageIndexer`: vectors through the embedding cache, terms by the Italian analyser."""

    def __init__(self, embedder: Callable[[], Embedder], cache_dir: Path) -> None:
        self._make = embedder  # called at the first write: reading never loads the model
        self.cache_dir = Path(cache_dir)

    @cached_property
    def embedder(self) -> Embedder:
        """The passage embedder (loaded on first use)."""
        return self._make()

    @property
    def model_id(self) -> str:
        """The embedding model's id (recorded in the store with the first vectors)."""
        return self.embedder.model_id

    def index_texts(self, texts: Sequence[str]) -> list[IndexedText]:
        """Vectors (embedded only when not cached) and analysed terms of passages."""
        if not texts:
            return []
        cache = EmbeddingCache(self.cache_dir)
        try:
            vectors, _ = embed_cached(texts, self.embedder, cache)
        finally:
            cache.close()
        return [indexed_text(vec, text) for vec, text in zip(vectors, texts, strict=True)]


def indexed_text(vector: object, text: str) -> IndexedText:
    """The `IndexedText` of a passage whose vector is known."""
    terms = analyze(text)
    return IndexedText(np.asarray(vector, dtype=np.float32), dict(Counter(terms)), len(terms))
