"""Themes of the practice network: the taxonomy and the tagging of chunks and documents.

Tagging (run by `Raccordo._after_build` after every published index): each theme foglia
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

import json
import logging
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import yaml

from bot.cities import city_label
from bot.errors import BadRequest
from ingest.store import Store

if TYPE_CHECKING:
    from bot.service import Raccordo
    from bot.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_TAXONOMY = Path(__file__).resolve().parents[1] / "corpus" / "themes.yaml"

ORIGIN_SCHEMA = """
CREATE TABLE IF NOT EXISTS theme_origin (
    doc_id INTEGER PRIMARY KEY, forced TEXT NOT NULL DEFAULT '[]'
);
"""


@dataclass(frozen=True)
class Theme:
    """One entry of the taxonomy: an area (group), a theme of an area, or a competence."""

    id: str
    label: str
    description: str
    kind: str  # "group", "theme" or "competence"
    parent: str | None = None
    examples: tuple[str, ...] = ()

    def query_texts(self) -> list[str]:
        """The texts embedded (as e5 queries) to recognise this theme."""
        return [f"{self.label}. {self.description}", *self.examples]


@dataclass(frozen=True)
class Taxonomy:
    """The ordered list of themes, with lookups."""

    themes: tuple[Theme, ...]

    def get(self, theme_id: str) -> Theme | None:
        """The theme with this id, or None."""
        return next((t for t in self.themes if t.id == theme_id), None)

    def require(self, theme_id: str) -> Theme:
        """The theme with this id; BadRequest (Italian) when unknown."""
        theme = self.get(theme_id)
        if theme is None:
            known = ", ".join(t.id for t in self.themes)
            raise BadRequest(f"Tema sconosciuto: {theme_id}. Temi disponibili: {known}")
        return theme

    def ids(self) -> list[str]:
        """Every id, in taxonomy order."""
        return [t.id for t in self.themes]

    def leaves(self) -> list[Theme]:
        """The themes tagging assigns directly (themes of areas and competences)."""
        return [t for t in self.themes if t.kind != "group"]

    def label(self, theme_id: str) -> str:
        """The Italian label of an id (the id itself when unknown)."""
        theme = self.get(theme_id)
        return theme.label if theme else theme_id

    def expand(self, ids: Sequence[str]) -> tuple[str, ...]:
        """Known ids plus their groups, in taxonomy order (unknown ids are dropped)."""
        wanted = set(ids)
        for theme_id in ids:
            theme = self.get(theme_id)
            if theme is not None and theme.parent:
                wanted.add(theme.parent)
        return tuple(t.id for t in self.themes if t.id in wanted)


@dataclass(frozen=True)
class TaggingParams:
    """The calibrated decision rule (see benchmarks/network_quality.py and docs/network.md)."""

    threshold: float = 0.85
    margin: float = 0.03
    max_themes: int = 3
    doc_share: float = 0.2


DEFAULT_PARAMS = TaggingParams()


@dataclass(frozen=True)
class TaggingReport:
    """What one tagging run did."""

    chunks: int
    documents: int
    changed_chunks: int
    changed_documents: int


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    """Read a taxonomy YAML (default: the repository's corpus/themes.yaml)."""
    return _load(str(Path(path) if path else DEFAULT_TAXONOMY))


def taxonomy_for(settings: Settings) -> Taxonomy:
    """The taxonomy of a deployment: `<data_dir>/themes.yaml` when present, else the default."""
    local = Path(settings.data_dir) / "themes.yaml"
    return load_taxonomy(local if local.exists() else None)


@lru_cache(maxsize=4)
def _load(path: str) -> Taxonomy:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    themes: list[Theme] = []
    for group in raw.get("groups", []):
        themes.append(_theme(group, "group", None))
        themes.extend(_theme(child, "theme", group["id"]) for child in group.get("themes", []))
    themes.extend(_theme(item, "competence", None) for item in raw.get("competences", []))
    ids = [t.id for t in themes]
    if len(ids) != len(set(ids)):
        raise BadRequest(f"Tassonomia dei temi con id duplicati: {path}")
    return Taxonomy(tuple(themes))


def _theme(raw: dict[str, object], kind: str, parent: str | None) -> Theme:
    examples = raw.get("examples") or []
    assert isinstance(examples, list)
    return Theme(id=str(raw["id"]), label=str(raw["label"]),
                 description=" ".join(str(raw.get("description", "")).split()),
                 kind=kind, parent=parent, examples=tuple(str(e) for e in examples))


# ---- scoring ------------------------------------------------------------------------------
_THEME_VECTORS: dict[tuple[str, tuple[str, ...]], tuple[np.ndarray, np.ndarray]] = {}


def theme_vectors(service: Raccordo, taxonomy: Taxonomy) -> tuple[np.ndarray, np.ndarray]:
    """Query vectors of every leaf's texts, and for each vector the index of its leaf."""
    leaves = taxonomy.leaves()
    texts: list[str] = []
    owners: list[int] = []
    for i, theme in enumerate(leaves):
        for text in theme.query_texts():
            texts.append(text)
            owners.append(i)
    key = (service.embedder.model_id, tuple(texts))
    if key not in _THEME_VECTORS:
        vectors = np.asarray(service.embedder.embed_queries(texts), dtype=np.float32)
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
def tag_store(service: Raccordo, params: TaggingParams = DEFAULT_PARAMS) -> TaggingReport:
    """Tag every chunk and document of the store (idempotent; forced themes win)."""
    from bot.network_vectors import passage_table

    store = service.store
    taxonomy = taxonomy_for(service.settings)
    leaves = taxonomy.leaves()
    table = passage_table(service)
    forced = _forced_themes(store)
    if len(table) == 0:
        return TaggingReport(0, 0, 0, 0)
    vectors, owners = theme_vectors(service, taxonomy)
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


def _forced_themes(store: Store) -> dict[int, tuple[str, ...]]:
    """Themes declared by manifest/sidecar, remembered per document id.

    `documents.themes` holds the declared themes right after ingestion, and the tagged ones
    afterwards; the first value seen for a document id (ids are never reused) is kept in
    `theme_origin`, so re-tagging never mistakes computed themes for declared ones.
    """
    with store.transaction() as tx:
        tx.execute(ORIGIN_SCHEMA.strip())
        tx.execute("DELETE FROM theme_origin WHERE doc_id NOT IN (SELECT id FROM documents)")
        tx.execute("INSERT OR IGNORE INTO theme_origin(doc_id, forced)"
                   " SELECT id, themes FROM documents")
        rows = tx.execute("SELECT doc_id, forced FROM theme_origin").fetchall()
    return {int(d): tuple(json.loads(f)) for d, f in rows if json.loads(f)}


def _write_chunk_themes(store: Store, tags: dict[int, tuple[str, ...]]) -> int:
    with store.transaction() as tx:
        current = dict(tx.execute("SELECT id, themes FROM chunks").fetchall())
    changed: dict[int, Sequence[str]] = {
        cid: t for cid, t in tags.items()
        if cid in current and tuple(json.loads(current[cid])) != t}
    if changed:
        store.set_chunk_themes(changed)
    return len(changed)


def _write_document_themes(store: Store, tags: dict[int, tuple[str, ...]]) -> int:
    with store.transaction() as tx:
        current = dict(tx.execute("SELECT id, themes FROM documents").fetchall())
    changed = 0
    for doc_id, themes in tags.items():
        if doc_id in current and tuple(json.loads(current[doc_id])) != themes:
            store.set_document_themes(doc_id, themes)
            changed += 1
    return changed


# ---- aggregates ---------------------------------------------------------------------------
def theme_counts_by_city(store: Store) -> dict[str, dict[str, int]]:
    """Number of indexed documents per theme id and city label (every tagged id, groups too)."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for doc in store.documents():
        if doc.status != "indexed":
            continue
        for theme_id in doc.meta.themes:
            counts[theme_id][city_label(doc.meta.city)] += 1
    return {t: dict(c) for t, c in counts.items()}


def chunk_counts_by_theme(store: Store) -> dict[str, int]:
    """Number of chunks tagged with each theme id."""
    counts: Counter[str] = Counter()
    with store.transaction() as tx:
        rows = tx.execute("SELECT themes FROM chunks").fetchall()
    for (raw,) in rows:
        counts.update(json.loads(raw))
    return dict(counts)
