"""Rarity of terms in the knowledge base (BM25 inverse document frequency over chunks).

Used to weight question terms when measuring evidence: a missing rare term ("Genova",
"PUMS") weighs more than a missing common one ("comune"). The real searcher serves the same
IDF from its BM25 index (`Searcher.term_weight`); this store-wide count is the fallback for
searchers without one, computed lazily and again when the store's version changes.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Protocol

from index.lexical import bm25_idf
from index.tokenizer import term_set
from ingest.models import Chunk

RECHECK_S = 1.0  # how often the store's version is looked at


class ChunkSource(Protocol):
    """What term statistics need from the store."""

    def version(self) -> int:
        """A counter bumped by every change."""
        ...

    def chunks(self, doc_id: int | None = None) -> list[Chunk]:
        """All chunks."""
        ...


class TermWeights:
    """`weight(term)`: BM25 IDF of a term over the store's chunks (max for unseen terms)."""

    def __init__(self, store: ChunkSource) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._version: int | None = None
        self._df: Counter[str] = Counter()
        self._n = 0
        self._checked_at = 0.0

    def __call__(self, term: str) -> float:
        """The IDF of `term`."""
        self._refresh()
        df = self._df.get(term, 0)
        return bm25_idf(self._n, df)

    def _refresh(self) -> None:
        now = time.monotonic()
        if self._version is not None and now - self._checked_at < RECHECK_S:
            return
        self._checked_at = now
        version = self.store.version()
        if version == self._version:
            return
        with self._lock:
            if version == self._version:
                return
            df: Counter[str] = Counter()
            chunks = self.store.chunks()
            for chunk in chunks:
                df.update(term_set(chunk.indexed_text()))
            self._df, self._n, self._version = df, len(chunks), version
