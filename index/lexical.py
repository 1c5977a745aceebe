"""The lexical side: Italian BM25 (bm25s) over pre-analysed passages, saved without pickle."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np

from index.thesaurus import Thesaurus
from index.tokenizer import analyze

log = logging.getLogger(__name__)

K1 = 1.2
B = 0.75
MAX_QUERY_TERMS = 64  # analysed terms scored per query (real questions use under 30)


class LexicalIndex:
    """BM25 scores of every indexed row for an analysed query."""

    def __init__(self, retriever: bm25s.BM25, size: int) -> None:
        self._bm25 = retriever
        self.size = size

    @classmethod
    def build(cls, texts: Sequence[str]) -> LexicalIndex:
        """Analyse and index texts; row i of the index is texts[i]."""
        return cls.build_from_terms([analyze(t) for t in texts])

    @classmethod
    def build_from_terms(cls, terms: Sequence[list[str]]) -> LexicalIndex:
        """Index already analysed passages."""
        retriever = bm25s.BM25(k1=K1, b=B, method="lucene")
        if terms:
            retriever.index([list(t) for t in terms], show_progress=False)
        return cls(retriever, len(terms))

    def save(self, directory: Path) -> list[Path]:
        """Write the index files (npy arrays with allow_pickle=False, JSON vocab/params)."""
        directory.mkdir(parents=True, exist_ok=True)
        if self.size:
            self._bm25.save(str(directory), show_progress=False, allow_pickle=False)
        return sorted(p for p in directory.iterdir() if p.is_file())

    @classmethod
    def load(cls, directory: Path, size: int) -> LexicalIndex:
        """Load files written by `save` (never unpickling)."""
        if size == 0:
            return cls(bm25s.BM25(k1=K1, b=B), 0)
        retriever = bm25s.BM25.load(str(directory), allow_pickle=False, mmap=False,
                                    show_progress=False)
        return cls(retriever, size)

    def document_frequency(self, term: str) -> int:
        """How many rows hold an analysed term (0 when unknown)."""
        tid = self._bm25.vocab_dict.get(term) if self.size else None
        if tid is None:
            return 0
        indptr = self._bm25.scores["indptr"]
        return int(indptr[tid + 1] - indptr[tid])

    def scores(self, query: str, max_terms: int = MAX_QUERY_TERMS,
               thesaurus: Thesaurus | None = None) -> np.ndarray:
        """BM25 score of every row for the query's first `max_terms` terms (zeros if none),
        plus, with a `thesaurus`, its weight times the score of the terms' alternatives."""
        if self.size == 0:
            return np.zeros(0, dtype=np.float32)
        terms = analyze(query)[:max_terms]
        scores = self._term_scores(terms)
        if thesaurus is not None and (extra := thesaurus.expansion(terms)):
            scores = scores + np.float32(thesaurus.weight) * self._term_scores(extra)
        return scores

    def _term_scores(self, terms: list[str]) -> np.ndarray:
        """BM25 score of every row for analysed terms (unknown terms score nothing)."""
        ids = self._bm25.get_tokens_ids(terms) if terms else []
        if not ids:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores_from_ids(ids), dtype=np.float32)

    def top(self, query: str, n: int, mask: np.ndarray | None = None) -> tuple[np.ndarray,
                                                                               np.ndarray]:
        """Rows and scores of the best `n` rows with a positive score (within `mask`)."""
        scores = self.scores(query)
        if mask is not None and scores.size:
            scores = np.where(mask, scores, 0.0).astype(np.float32)
        return top_positive(scores, n)


def bm25_idf(n: int, df: int) -> float:
    """BM25 (Lucene) inverse document frequency of a term in `df` of `n` passages."""
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


def top_positive(scores: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and values of the `n` largest positive scores, best first."""
    positive = np.flatnonzero(scores > 0)
    if positive.size == 0 or n <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    if positive.size > n:
        part = np.argpartition(-scores[positive], n - 1)[:n]
        positive = positive[part]
    order = np.argsort(-scores[positive], kind="stable")
    rows = positive[order].astype(np.int64)
    return rows, scores[rows]
