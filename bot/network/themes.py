"""Themes of the practice network: the taxonomy and the tagging of chunks and documents.

Tagging (run by the application after every published index): each theme foglia
(leaf theme or competence) is embedded as e5 *queries* — "<label>. <description>" plus its
`examples` — and each chunk as a *passage* (vectors from the embedding cache). A chunk's
score for a theme is the best cosine over that theme's query vectors; the chunk gets every
theme whose score is at least `threshold` and within `margin` of its best theme, at most
`max_themes`, plus the groups of those themes. A document gets the themes held by at least
`doc_share` of its chunks (its most frequent one when none reaches the share); themes forced
by the manifest or a sidecar replace the computed ones for the document and are added to all
its chunks. The whole store is one matrix product, and the result only depends on the texts,
so running it twice writes nothing new.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from bot.network.sources import Sources
from bot.network.taxonomy import Taxonomy
from bot.network.vectors import passage_table
from ingest.metadata import city_label
from ingest.storeapi import DocumentStore

if TYPE_CHECKING:
    from index.embedders import Embedder

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class TaggingParams:
    """The calibrated decision rule (see benchmarks/network_quality.py and docs/network.md)."""

    threshold: float = 0.85
    margin: float = 0.03
    max_themes: int = 3
    doc_share: float = 0.2


DEFAULT_PARAMS = TaggingParams()
# the threshold for our fine-tuned e5-small (index.weightdelta.tuned_e5), whose similarities
# run lower: the same sweep on the same labelled chunks (docs/network.md)
THRESHOLD_RACCORDO = 0.72


@dataclass(frozen=True)
class TaggingReport:
    """What one tagging run did."""

    chunks: int
    documents: int
    changed_chunks: int
    changed_documents: int


# ---- scoring ------------------------------------------------------------------------------
_THEME_VECTORS: dict[tuple[str, tuple[str, ...]], tuple[np.ndarray, np.ndarray]] = {}


def theme_vectors(embedder: Embedder, taxonomy: Taxonomy) -> tuple[np.ndarray, np.ndarray]:
    """Query vectors of every leaf's texts, and for each vector the index of its leaf."""
    leaves = taxonomy.leaves()
    texts: list[str] = []
    owners: list[int] = []
    for i, theme in enumerate(leaves):
        for text in theme.query_texts():
            texts.append(text)
            owners.append(i)
    key = (embedder.model_id, tuple(texts))
    if key not in _THEME_VECTORS:
        vectors = np.asarray(embedder.embed_queries(texts), dtype=np.float32)
        _THEME_VECTORS[key] = (vectors, np.array(owners, dtype=np.int64))
    return _THEME_VECTORS[key]


def theme_scores(passages: np.ndarray, vectors: np.ndarray, owners: np.ndarray,
                 n_leaves: int) -> np.ndarray:
    """(n_passages, n_leaves): for each leaf, the best cosine over its query vectors."""
    sims = passages @ vectors.T
    out = np.full((passages.shape[0], n_leaves), -1.0, dtype=np.float32)
    for leaf in range(n_leaves):
        cols = owners == leaf
        if cols.any():
            out[:, leaf] = sims[:, cols].max(axis=1)
    return out


def assign(scores: np.ndarray, params: TaggingParams = DEFAULT_PARAMS) -> list[list[int]]:
    """Leaf indexes per row: above the threshold, within the margin of the best, top-k."""
    picked: list[list[int]] = []
    for row in scores:
        best = float(row.max()) if row.size else -1.0
        order = np.argsort(-row, kind="stable")[: params.max_themes]
        picked.append([int(j) for j in order
                       if row[j] >= params.threshold and row[j] >= best - params.margin])
    return picked


def document_themes(chunk_themes: Sequence[Sequence[str]], share: float) -> list[str]:
    """Themes held by at least `share` of a document's chunks (else its most frequent one)."""
    counts = Counter(t for themes in chunk_themes for t in themes)
    if not counts:
        return []
    need = max(1.0, share * len(chunk_themes))
    chosen = [t for t, n in counts.most_common() if n >= need]
    return chosen or [counts.most_common(1)[0][0]]


# ---- tagging the store --------------------------------------------------------------------
def params_for(sources: Sources) -> TaggingParams:
    """The decision rule, with the threshold calibrated for the sources' embedder."""
    if sources.theme_threshold is None:
        return DEFAULT_PARAMS
    return replace(DEFAULT_PARAMS, threshold=sources.theme_threshold)


def tag_store(sources: Sources, params: TaggingParams | None = None) -> TaggingReport:
    """Tag every chunk and document of the store (idempotent; forced themes win)."""
    params = params or params_for(sources)
    store = sources.store
    taxonomy = sources.taxonomy
    leaves = taxonomy.leaves()
    table = passage_table(sources)
    forced = store.declared_themes()
    if len(table) == 0:
        return TaggingReport(0, 0, 0, 0)
    vectors, owners = theme_vectors(sources.embedder, taxonomy)
    picked = assign(theme_scores(table.vectors, vectors, owners, len(leaves)), params)
    leaf_ids = [[leaves[j].id for j in row] for row in picked]

    by_doc: dict[int, list[int]] = defaultdict(list)
    for row, doc_id in enumerate(table.doc_ids.tolist()):
        by_doc[int(doc_id)].append(row)
    chunk_tags: dict[int, tuple[str, ...]] = {}
    doc_tags: dict[int, tuple[str, ...]] = {}
    for doc_id, rows in by_doc.items():
        extra = forced.get(doc_id, ())
        for row in rows:
            chunk_tags[int(table.chunk_ids[row])] = taxonomy.expand([*leaf_ids[row], *extra])
        computed = document_themes([leaf_ids[r] for r in rows], params.doc_share)
        doc_tags[doc_id] = taxonomy.expand(extra or computed)
    for doc_id, extra in forced.items():  # documents without chunks keep what was declared
        doc_tags.setdefault(doc_id, taxonomy.expand(extra))
    changed_chunks = _write_chunk_themes(store, chunk_tags)
    changed_docs = _write_document_themes(store, doc_tags)
    log.info("themes: %d chunks, %d documents tagged (%d/%d changed)", len(chunk_tags),
             len(doc_tags), changed_chunks, changed_docs)
    return TaggingReport(len(chunk_tags), len(doc_tags), changed_chunks, changed_docs)


def _write_chunk_themes(store: DocumentStore, tags: dict[int, tuple[str, ...]]) -> int:
    current = store.chunk_themes()
    changed: dict[int, Sequence[str]] = {
        cid: t for cid, t in tags.items() if cid in current and current[cid] != t}
    if changed:
        store.set_chunk_themes(changed)
    return len(changed)


def _write_document_themes(store: DocumentStore, tags: dict[int, tuple[str, ...]]) -> int:
    current = store.document_themes()
    changed = 0
    for doc_id, themes in tags.items():
        if doc_id in current and current[doc_id] != themes:
            store.set_document_themes(doc_id, themes)
            changed += 1
    return changed


# ---- aggregates ---------------------------------------------------------------------------
def theme_counts_by_city(store: DocumentStore) -> dict[str, dict[str, int]]:
    """Number of indexed documents per theme id and city label (every tagged id, groups too)."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for doc in store.documents():
        if doc.status != "indexed":
            continue
        for theme_id in doc.meta.themes:
            counts[theme_id][city_label(doc.meta.city)] += 1
    return {t: dict(c) for t, c in counts.items()}


def chunk_counts_by_theme(store: DocumentStore) -> dict[str, int]:
    """Number of chunks tagged with each theme id."""
    counts: Counter[str] = Counter()
    for themes in store.chunk_themes().values():
        counts.update(themes)
    return dict(counts)
