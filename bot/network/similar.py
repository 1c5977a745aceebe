"""Similar practices: documents that share passages with a document or a free-text description.

How a candidate document is scored (never one averaged vector per document, which blurs
long documents):

1. the source is split into passages: the chunks of the source document (e5 *passage*
   vectors from the cache), or, for free text, groups of sentences of about 400 characters
   (embedded as e5 *queries*);
2. every source passage is compared (cosine) with every passage of every other document;
3. for a candidate document D, each source passage keeps its best match in D;
4. the score of D is the mean of the `top_n` (default 3) highest of those best matches, each
   from a different source passage (fewer when the source has fewer passages).

So a document is similar when several distinct parts of the source find a close counterpart
in it; one shared boilerplate sentence is not enough. The source document itself is left
out, and with `other_cities` so is every document of the same city (documents without a city
stay in). Each result carries the passage pairs behind its score, its city and its themes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

import numpy as np

from bot.errors import BadRequest, NotFound
from bot.network.vectors import passage_table
from ingest.metadata import city_key, city_label
from ingest.sentences import split_sentences
from ingest.storeapi import DocumentStore
from ingest.storetypes import StoredDocument

if TYPE_CHECKING:
    from bot.network.sources import Sources

TOP_N = 3
PASSAGE_CHARS = 400
MAX_TEXT_CHARS = 20_000
SNIPPET_CHARS = 280


@dataclass(frozen=True)
class PassageMatch:
    """A source passage and its closest passage in the similar document."""

    score: float
    source: str  # source passage text (snippet)
    source_locator: str
    chunk_id: int
    text: str  # matched chunk text (snippet)
    locator: str
    page: int | None

    def to_json(self) -> dict[str, object]:
        """JSON form."""
        return {"score": round(self.score, 4), "source": self.source,
                "source_locator": self.source_locator, "chunk_id": self.chunk_id,
                "text": self.text, "locator": self.locator, "page": self.page}


@dataclass(frozen=True)
class SimilarDocument:
    """A ranked similar document with the passages that make it similar."""

    rank: int
    score: float
    doc_id: int
    file: str
    title: str
    kind: str
    city: str | None
    themes: tuple[str, ...]
    matches: tuple[PassageMatch, ...]

    def to_json(self) -> dict[str, object]:
        """The `raccordo similar --json` / API contract."""
        return {"rank": self.rank, "score": round(self.score, 4), "doc_id": self.doc_id,
                "file": self.file, "title": self.title, "kind": self.kind,
                "city": self.city, "city_label": city_label(self.city),
                "themes": list(self.themes), "matches": [m.to_json() for m in self.matches]}


@dataclass(frozen=True)
class _Source:
    vectors: np.ndarray
    texts: list[str]
    locators: list[str]
    doc_id: int | None
    city: str | None


def resolve_document(store: DocumentStore, ref: str | int) -> StoredDocument:
    """A document by id, file path, file name or unique part of the file name."""
    text = str(ref).strip()
    if text.isdigit():
        found = store.document(int(text))
        if found is None:
            raise NotFound(f"Nessun documento con id {text}.")
        return found
    docs = [d for d in store.documents() if d.status == "indexed"]
    for test in (lambda d: d.file == text,
                 lambda d: PurePosixPath(d.file).name == text,
                 lambda d: text.lower() in d.file.lower()):
        hits = [d for d in docs if test(d)]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            names = ", ".join(d.file for d in hits[:5])
            raise BadRequest(f"«{text}» indica più documenti: {names}. Usa l'id o il percorso.")
    raise NotFound(f"Nessun documento corrisponde a «{text}».")


def similar_to_document(sources: Sources, doc_id: int, *, k: int = 5,
                        other_cities: bool = False, top_n: int = TOP_N
                        ) -> list[SimilarDocument]:
    """Documents similar to a stored document, best first."""
    doc = sources.store.document(doc_id)
    if doc is None:
        raise NotFound(f"Nessun documento con id {doc_id}.")
    table = passage_table(sources)
    rows = table.rows_of(doc_id)
    if rows.size == 0:
        raise BadRequest(f"Il documento {doc.file} non ha passaggi indicizzati.")
    chunks = sources.store.chunks(doc_id)
    source = _Source(vectors=table.vectors[rows], texts=[c.text for c in chunks],
                     locators=[c.locator.label() for c in chunks], doc_id=doc_id,
                     city=doc.meta.city if other_cities else None)
    return _rank(sources, source, k=k, top_n=top_n)


def similar_to_text(sources: Sources, text: str, *, k: int = 5,
                    exclude_city: str | None = None, top_n: int = TOP_N
                    ) -> list[SimilarDocument]:
    """Documents similar to a free-text description of a practice, best first."""
    passages = text_passages(text)
    if not passages:
        raise BadRequest("Descrivi la pratica con almeno una frase.")
    vectors = np.asarray(sources.embedder.embed_queries(passages), dtype=np.float32)
    source = _Source(vectors=vectors, texts=passages,
                     locators=[f"frase {i + 1}" for i in range(len(passages))],
                     doc_id=None, city=exclude_city)
    return _rank(sources, source, k=k, top_n=top_n)


def text_passages(text: str, size: int = PASSAGE_CHARS) -> list[str]:
    """Sentences of a description grouped into passages of about `size` characters."""
    text = text.strip()
    if len(text) > MAX_TEXT_CHARS:
        raise BadRequest(f"Testo troppo lungo (massimo {MAX_TEXT_CHARS} caratteri).")
    passages: list[str] = []
    current = ""
    for sentence in split_sentences(text):
        sentence = " ".join(sentence.split())
        if current and len(current) + len(sentence) + 1 > size:
            passages.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        passages.append(current)
    return passages


def _rank(sources: Sources, source: _Source, *, k: int, top_n: int) -> list[SimilarDocument]:
    if k < 1:
        raise BadRequest("k deve essere almeno 1.")
    table = passage_table(sources)
    docs = {d.id: d for d in sources.store.documents() if d.status == "indexed"}
    banned = {source.doc_id} if source.doc_id is not None else set()
    if source.city:
        key = city_key(source.city)
        banned |= {d.id for d in docs.values() if d.meta.city and city_key(d.meta.city) == key}
    sims = source.vectors @ table.vectors.T  # (n_source, n_passages)
    scored: list[tuple[float, int, np.ndarray, np.ndarray]] = []
    for doc_id in np.unique(table.doc_ids).tolist():
        if doc_id in banned or doc_id not in docs:
            continue
        cols = table.rows_of(doc_id)
        block = sims[:, cols]
        best = block.max(axis=1)
        top = np.argsort(-best, kind="stable")[: max(1, min(top_n, best.size))]
        score = float(best[top].mean())
        scored.append((score, doc_id, top, cols[block[top].argmax(axis=1)]))
    scored.sort(key=lambda s: (-s[0], s[1]))
    results: list[SimilarDocument] = []
    for rank, (score, doc_id, top, matched_rows) in enumerate(scored[:k], start=1):
        results.append(_result(sources, rank, score, docs[doc_id], source, top, matched_rows,
                               sims, table.chunk_ids))
    return results


def _result(sources: Sources, rank: int, score: float, doc: StoredDocument, source: _Source,
            top: np.ndarray, matched_rows: np.ndarray, sims: np.ndarray,
            chunk_ids: np.ndarray) -> SimilarDocument:
    ids = [int(chunk_ids[r]) for r in matched_rows]
    stored = sources.store.chunks_by_ids(ids)
    matches: list[PassageMatch] = []
    for src, row, cid in zip(top.tolist(), matched_rows.tolist(), ids, strict=True):
        found = stored.get(cid)
        if found is None:
            continue
        chunk = found.chunk
        matches.append(PassageMatch(
            score=float(sims[src, row]), source=_snippet(source.texts[src]),
            source_locator=source.locators[src], chunk_id=cid, text=_snippet(chunk.text),
            locator=chunk.locator.label(), page=chunk.locator.page_start))
    return SimilarDocument(rank=rank, score=score, doc_id=doc.id, file=doc.file,
                           title=doc.meta.title, kind=doc.meta.kind, city=doc.meta.city,
                           themes=doc.meta.themes, matches=tuple(matches))


def _snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rsplit(" ", 1)[0] + "…"


def describe_similar(results: list[SimilarDocument]) -> str:
    """Plain Italian text of a result list (for the bot and the CLI)."""
    if not results:
        return "Nessun documento simile trovato."
    lines: list[str] = []
    for r in results:
        lines.append(f"{r.rank}. {r.title} — {city_label(r.city)} (somiglianza {r.score:.2f})")
        if r.themes:
            lines.append(f"   temi: {', '.join(r.themes)}")
        for m in r.matches[:2]:
            where = f" [{m.locator}]" if m.locator else ""
            lines.append(f"   «{_snippet(m.text, 160)}»{where}")
    return "\n".join(lines)
