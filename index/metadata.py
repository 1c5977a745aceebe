"""Per-row chunk metadata of a loaded generation, read from the store, for fast filters."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from index.models import Filters
from index.references import ReferenceTable, document_act
from ingest.store import Store, StoredDocument

ACT_KINDS = ("law", "decree", "regulation", "statute")  # documents that *are* an act


@dataclass(frozen=True)
class ChunkTable:
    """Document id per row (-1 when the chunk left the store) and the documents' metadata."""

    doc_ids: np.ndarray
    documents: dict[int, StoredDocument]
    refs: ReferenceTable
    vigente: np.ndarray  # bool per row: False for chunks holding only repealed provisions

    def document_mask(self, filters: Filters) -> np.ndarray:
        """Rows whose document passes the kind/city/year/document filters, and whose chunk
        passes the in-force filter."""
        allowed = [d.id for d in self.documents.values() if _document_passes(d, filters)]
        mask = np.isin(self.doc_ids, np.array(allowed, dtype=np.int64))
        if filters.vigente is not None:
            mask &= self.vigente == filters.vigente
        return mask


def _document_passes(doc: StoredDocument, filters: Filters) -> bool:
    meta = doc.meta
    if filters.document is not None and doc.id != filters.document:
        return False
    if filters.kind is not None and meta.kind != filters.kind:
        return False
    if filters.year is not None and meta.year != filters.year:
        return False
    return filters.city is None or (meta.city or "").casefold() == filters.city.casefold()


def load_chunk_table(store: Store, ids: np.ndarray) -> ChunkTable:
    """Metadata for the generation's chunk ids (sorted), from one light query of the store."""
    rows = store.connection.execute(
        "SELECT id, doc_id, article, commi, vigente FROM chunks").fetchall()
    return chunk_table(rows, store.documents(), ids)


def chunk_table(rows: Iterable[Any], documents: Iterable[StoredDocument],
                ids: np.ndarray) -> ChunkTable:
    """A `ChunkTable` from chunk rows (id, doc_id, article, commi JSON, vigente)."""
    by_id = {int(r[0]): (int(r[1]), r[2], tuple(json.loads(r[3] or "[]")), bool(r[4]))
             for r in rows}
    by_doc = {d.id: d for d in documents}
    acts = {d.id: document_act(d.meta.act, d.meta.title) for d in by_doc.values()
            if d.meta.kind in ACT_KINDS}
    doc_ids = np.full(ids.size, -1, dtype=np.int64)
    row_acts: list[str | None] = []
    articles: list[str | None] = []
    commi: list[tuple[str, ...]] = []
    vigente = np.ones(ids.size, dtype=bool)
    for row, cid in enumerate(ids.tolist()):
        doc_id, article, chunk_commi, in_force = by_id.get(cid, (-1, None, (), True))
        doc_ids[row] = doc_id
        vigente[row] = in_force
        row_acts.append(acts.get(doc_id))
        articles.append(article)
        commi.append(chunk_commi)
    return ChunkTable(doc_ids, by_doc, ReferenceTable(row_acts, articles, commi), vigente)


def theme_chunk_ids(store: Store, theme: str) -> np.ndarray:
    """Ids of chunks tagged with a theme, directly or through their document."""
    rows = store.connection.execute(
        "SELECT c.id FROM chunks c JOIN documents d ON d.id = c.doc_id"
        " WHERE EXISTS (SELECT 1 FROM json_each(c.themes) WHERE value = ?)"
        " OR EXISTS (SELECT 1 FROM json_each(d.themes) WHERE value = ?)", (theme, theme)
    ).fetchall()
    return np.array([int(r[0]) for r in rows], dtype=np.int64)
