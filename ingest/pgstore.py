"""PostgreSQL store: documents, chunks, vectors and BM25 postings in one database.

A document is written in one transaction together with its chunks' vectors and analysed
terms (computed before the transaction by the injected `PassageIndexer`), so every reader
sees either the old version of a file or the new one, never a half-indexed one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ingest.actdates import act_dates
from ingest.errors import StoreError
from ingest.models import Chunk, Document, DocumentMeta, Reference
from ingest.pgdb import Database, apply_migrations
from ingest.storeapi import IndexedText, PassageIndexer
from ingest.storerefs import (
    NOT_FOUND,
    REF_COLUMNS,
    Target,
    best_target,
    group_references,
    resolve_all,
)
from ingest.storerows import CHUNK_SELECT, DOC_SELECT, chunk_from_row, chunk_row, doc_from_row
from ingest.storetypes import ResolvedReference, StoredChunk, StoredDocument

if TYPE_CHECKING:
    import psycopg

DIM = 384
CHUNK_COLUMNS = ("id, doc_id, ordinal, text, context, section, article, commi, letters,"
                 " page_start, page_end, themes, vigente, repeal_note, repealed, amended, ocr,"
                 " page_breaks, embedding, lex_len")
DOC_COLUMNS = ("id, source, file, sha256, format, title, kind, issuer, city, year, url, act,"
               " themes, contributor, pages, status, reason, ingested_at, ocr_pages, in_force")
BUMP = ("INSERT INTO store_meta(key, value) VALUES('version', '1') ON CONFLICT(key)"
        " DO UPDATE SET value = (store_meta.value::bigint + 1)::text")


def vector_text(vector: Any) -> str:
    """pgvector's text form of a vector: '[0.1,0.2,...]'."""
    return "[" + ",".join(f"{float(x):.7g}" for x in vector) + "]"


class PgStore:
    """The `DocumentStore` on PostgreSQL (see `ingest.storeapi`); safe to share by threads."""

    def __init__(self, url: str, indexer: PassageIndexer | None = None, *,
                 migrate: bool = True, db: Database | None = None) -> None:
        self.db = db or Database(url)
        self.indexer = indexer
        if migrate:
            apply_migrations(self.db, "store", "ingest.pgmigrations")

    @property
    def location(self) -> str:
        """host:port/database (no credentials)."""
        return self.db.where

    def vectors(self, chunk_ids: Sequence[int]) -> np.ndarray:
        """The stored vectors of the given chunks, in order (missing ones are zero)."""
        rows = self._all("SELECT id, embedding::text FROM chunks WHERE id = ANY(%s)",
                         ([int(i) for i in chunk_ids],))
        found = {int(r[0]): r[1] for r in rows}
        out = np.zeros((len(chunk_ids), DIM), dtype=np.float32)
        for i, cid in enumerate(chunk_ids):
            if int(cid) in found:
                out[i] = np.array(json.loads(found[int(cid)]), dtype=np.float32)
        return out

    def close(self) -> None:
        """Close the pool."""
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Connection[Any]]:
        """One transaction on a pooled connection."""
        with self.db.connect() as conn, conn.transaction():
            yield conn

    def _one(self, sql: str, args: Sequence[object] = ()) -> Any:
        with self.db.connect() as conn:
            return conn.execute(sql, args).fetchone()

    def _all(self, sql: str, args: Sequence[object] = ()) -> list[Any]:
        with self.db.connect() as conn:
            return conn.execute(sql, args).fetchall()

    # ---- versions -------------------------------------------------------------------------
    def version(self) -> int:
        """A counter bumped by every change to documents or chunks."""
        row = self._one("SELECT value FROM store_meta WHERE key='version'")
        return int(row[0]) if row else 0

    def meta_value(self, key: str) -> str | None:
        """A bookkeeping value of the store."""
        row = self._one("SELECT value FROM store_meta WHERE key=%s", (key,))
        return str(row[0]) if row else None

    def set_meta_value(self, key: str, value: str) -> None:
        """Record a bookkeeping value."""
        with self.transaction() as conn:
            conn.execute("INSERT INTO store_meta(key, value) VALUES(%s, %s) ON CONFLICT(key)"
                         " DO UPDATE SET value = excluded.value", (key, value))

    # ---- writes ---------------------------------------------------------------------------
    def replace_document(self, source: str, doc: Document, chunks: Sequence[Chunk]) -> int:
        """Store `doc` with its chunks, vectors and terms, replacing the file's old version."""
        indexed = self._index(chunks)
        with self.transaction() as conn:
            conn.execute("DELETE FROM documents WHERE source=%s AND file=%s", (source, doc.file))
            doc_id = self._insert_doc(conn, source, doc.file, doc.sha256, doc.format, doc.meta,
                                      doc.pages, "indexed", None, doc.ocr_pages)
            ids = [int(r[0]) for r in conn.execute(
                "SELECT nextval('chunks_id_seq') FROM generate_series(1, %s)", (len(chunks),))]
            numbered = [replace(c, id=i) for c, i in zip(chunks, ids, strict=True)]
            self._copy_chunks(conn, doc_id, numbered, indexed)
            conn.execute(BUMP)
        return doc_id

    def _index(self, chunks: Sequence[Chunk]) -> list[IndexedText]:
        if self.indexer is None:
            raise StoreError("Archivio PostgreSQL aperto in sola lettura: manca l'indicizzatore.")
        if self.meta_value("model_id") not in (None, self.indexer.model_id):
            raise StoreError("Il database contiene vettori di un altro modello: "
                             f"{self.meta_value('model_id')} (configurato: "
                             f"{self.indexer.model_id}).")
        indexed = self.indexer.index_texts([c.indexed_text() for c in chunks])
        if indexed and indexed[0].vector.shape[-1] != DIM:
            raise StoreError(f"Il backend PostgreSQL richiede vettori di {DIM} dimensioni.")
        if self.meta_value("model_id") is None:
            self.set_meta_value("model_id", self.indexer.model_id)
        return indexed

    def copy_document(self, doc: StoredDocument, chunks: Sequence[Chunk],
                      indexed: Sequence[IndexedText]) -> None:
        """Write a stored document with its ids, chunks and given vectors (for migration)."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM documents WHERE id=%s", (doc.id,))
            self._insert_doc(conn, doc.source, doc.file, doc.sha256, doc.format, doc.meta,
                             doc.pages, doc.status, doc.reason, doc.ocr_pages,
                             doc_id=doc.id, ingested_at=doc.ingested_at)
            self._copy_chunks(conn, doc.id, chunks, indexed)
            conn.execute(BUMP)

    def sync_sequences(self) -> None:
        """Move the id sequences past the highest copied ids."""
        with self.transaction() as conn:
            for table in ("documents", "chunks"):
                conn.execute(f"SELECT setval('{table}_id_seq', GREATEST((SELECT MAX(id) FROM"
                             f" {table}), 1))")

    def copy_theme_origin(self, rows: Sequence[tuple[int, str]]) -> None:
        """Write declared-theme rows (doc id, JSON list) copied from another store."""
        with self.transaction() as conn, conn.cursor() as cur:
            cur.executemany("INSERT INTO theme_origin(doc_id, forced) VALUES (%s, %s) ON"
                            " CONFLICT (doc_id) DO UPDATE SET forced = excluded.forced", rows)

    def _copy_chunks(self, conn: psycopg.Connection[Any], doc_id: int,
                     chunks: Sequence[Chunk], indexed: Sequence[IndexedText]) -> None:
        with conn.cursor() as cur:
            with cur.copy(f"COPY chunks ({CHUNK_COLUMNS}) FROM STDIN") as copy:
                for chunk, ix in zip(chunks, indexed, strict=True):
                    copy.write_row((chunk.id, *chunk_row(doc_id, chunk),
                                    vector_text(ix.vector), ix.length))
            with cur.copy("COPY chunk_terms (term, chunk_id, tf, dl) FROM STDIN") as copy:
                for chunk, ix in zip(chunks, indexed, strict=True):
                    for term, tf in ix.terms.items():
                        copy.write_row((term, chunk.id, tf, ix.length))
            cur.executemany(
                f"INSERT INTO chunk_refs({REF_COLUMNS}, position) VALUES"
                " (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                [(c.id, r.text, r.act, r.article, r.comma, r.letter, int(r.same_act), r.start,
                  r.end, i) for c in chunks for i, r in enumerate(c.references)])

    def record_skipped(self, source: str, file: str, sha256: str, reason: str,
                       meta: DocumentMeta | None = None) -> int:
        """Record a file that could not be ingested, dropping any earlier version."""
        meta = meta or DocumentMeta(title=Path(file).name)
        with self.transaction() as conn:
            conn.execute("DELETE FROM documents WHERE source=%s AND file=%s", (source, file))
            doc_id = self._insert_doc(conn, source, file, sha256, None, meta, None, "skipped",
                                      reason)
            conn.execute(BUMP)
        return doc_id

    def remove_document(self, doc_id: int) -> bool:
        """Delete a document and its chunks; True when it existed."""
        with self.transaction() as conn:
            gone = conn.execute("DELETE FROM documents WHERE id=%s", (doc_id,)).rowcount
            if gone:
                conn.execute(BUMP)
        return bool(gone)

    def _insert_doc(self, conn: psycopg.Connection[Any], source: str, file: str, sha256: str,
                    fmt: str | None, meta: DocumentMeta, pages: int | None, status: str,
                    reason: str | None, ocr_pages: Sequence[int] = (), *,
                    doc_id: int | None = None, ingested_at: float | None = None) -> int:
        row = conn.execute(
            f"INSERT INTO documents({DOC_COLUMNS}) VALUES"
            " (COALESCE(%s, nextval('documents_id_seq')),"
            " %s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) RETURNING id",
            (doc_id, source, file, sha256, fmt, meta.title, meta.kind, meta.issuer, meta.city,
             meta.year, meta.url, meta.act, json.dumps(list(meta.themes)), meta.contributor,
             pages, status, reason, ingested_at or time.time(), json.dumps(list(ocr_pages)),
             meta.in_force),
        ).fetchone()
        assert row is not None
        return int(row[0])

    # ---- themes ---------------------------------------------------------------------------
    def set_chunk_themes(self, themes_by_chunk: dict[int, Sequence[str]]) -> None:
        """Overwrite the theme tags of the given chunks."""
        with self.transaction() as conn, conn.cursor() as cur:
            cur.executemany("UPDATE chunks SET themes=%s WHERE id=%s",
                            [(json.dumps(list(t)), cid) for cid, t in themes_by_chunk.items()])

    def set_document_themes(self, doc_id: int, themes: Sequence[str]) -> None:
        """Overwrite the theme tags of a document."""
        with self.transaction() as conn:
            conn.execute("UPDATE documents SET themes=%s WHERE id=%s",
                         (json.dumps(list(themes)), doc_id))

    def chunk_themes(self) -> dict[int, tuple[str, ...]]:
        """Theme tags of every chunk, by chunk id."""
        return {int(c): tuple(json.loads(t)) for c, t in self._all("SELECT id, themes FROM"
                                                                   " chunks")}

    def document_themes(self) -> dict[int, tuple[str, ...]]:
        """Theme tags of every document, by document id."""
        return {int(d): tuple(json.loads(t)) for d, t in self._all("SELECT id, themes FROM"
                                                                   " documents")}

    def declared_themes(self) -> dict[int, tuple[str, ...]]:
        """Themes declared by manifest or sidecar, per document id (see `Store`)."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM theme_origin WHERE doc_id NOT IN (SELECT id FROM"
                         " documents)")
            conn.execute("INSERT INTO theme_origin(doc_id, forced) SELECT id, themes FROM"
                         " documents ON CONFLICT (doc_id) DO NOTHING")
            rows = conn.execute("SELECT doc_id, forced FROM theme_origin").fetchall()
        return {int(d): tuple(json.loads(f)) for d, f in rows if json.loads(f)}

    # ---- reads ----------------------------------------------------------------------------
    def documents(self, source: str | None = None) -> list[StoredDocument]:
        """All documents (optionally of one source folder), ordered by file."""
        sql = DOC_SELECT + (" WHERE d.source=%s" if source else "")
        rows = self._all(sql + " GROUP BY d.id ORDER BY d.file", (source,) if source else ())
        return [doc_from_row(r) for r in rows]

    def document(self, doc_id: int) -> StoredDocument | None:
        """One document by id, or None."""
        row = self._one(DOC_SELECT + " WHERE d.id=%s GROUP BY d.id", (doc_id,))
        return doc_from_row(row) if row else None

    def find_document(self, source: str, file: str) -> StoredDocument | None:
        """The stored version of `file` ingested from `source`, or None."""
        row = self._one(DOC_SELECT + " WHERE d.source=%s AND d.file=%s GROUP BY d.id",
                        (source, file))
        return doc_from_row(row) if row else None

    def chunks(self, doc_id: int | None = None) -> list[Chunk]:
        """Chunks of one document (or of all), in document order."""
        where = " WHERE doc_id=%s" if doc_id is not None else ""
        rows = self._all(CHUNK_SELECT + where + " ORDER BY doc_id, ordinal",
                         (doc_id,) if doc_id is not None else ())
        refs = self._references(None if doc_id is None else [int(r[0]) for r in rows])
        return [chunk_from_row(r, refs.get(int(r[0]), ())) for r in rows]

    def _references(self, chunk_ids: Sequence[int] | None) -> dict[int, tuple[Reference, ...]]:
        sql = f"SELECT {REF_COLUMNS} FROM chunk_refs"
        if chunk_ids is None:
            return group_references(self._all(sql + " ORDER BY chunk_id, position"))
        return group_references(self._all(sql + " WHERE chunk_id = ANY(%s) ORDER BY chunk_id,"
                                          " position", (list(chunk_ids),)))

    def chunks_by_ids(self, ids: Sequence[int]) -> dict[int, StoredChunk]:
        """Chunks with their documents, keyed by chunk id (missing ids are left out)."""
        wanted = [int(i) for i in ids]
        rows = self._all(CHUNK_SELECT + " WHERE id = ANY(%s)", (wanted,))
        refs = self._references(wanted)
        doc_ids = sorted({int(r[1]) for r in rows})
        docs = {d.id: d for d in (doc_from_row(r) for r in self._all(
            DOC_SELECT + " WHERE d.id = ANY(%s) GROUP BY d.id", (doc_ids,)))}
        out: dict[int, StoredChunk] = {}
        for row in rows:
            chunk = chunk_from_row(row, refs.get(int(row[0]), ()))
            if chunk.doc_id in docs and chunk.id is not None:
                out[chunk.id] = StoredChunk(chunk, docs[chunk.doc_id])
        return out

    def references(self, chunk_ids: Sequence[int]) -> dict[int, list[ResolvedReference]]:
        """The references of the given chunks, each resolved to the chunk it cites."""
        return resolve_all(chunk_ids, self.chunks_by_ids(list(chunk_ids)), self._lookup)

    def act_dates(self) -> dict[str, str]:
        """Act key -> ISO date, as the stored references write it (`ingest.actdates`)."""
        return act_dates(self._all("SELECT act, text FROM chunk_refs WHERE act IS NOT NULL"))

    def _lookup(self, ref: Reference, own_doc: int) -> Target:
        if ref.same_act:
            docs = [own_doc]
        elif ref.act:
            docs = [int(r[0]) for r in self._all(
                "SELECT id FROM documents WHERE act=%s AND status='indexed' ORDER BY id",
                (ref.act,))]
        else:
            return NOT_FOUND
        where = "doc_id = ANY(%s)" + (" AND article=%s" if ref.article else "")
        rows = self._all(f"SELECT id, doc_id, commi, letters, vigente FROM chunks WHERE {where}"
                         " ORDER BY doc_id, ordinal" + ("" if ref.article else " LIMIT 1"),
                         [docs, *([ref.article] if ref.article else [])]) if docs else []
        return best_target(ref, rows)

    def counts(self) -> dict[str, int]:
        """Numbers of indexed documents, skipped documents and chunks."""
        indexed, skipped, chunks = self._one(
            "SELECT COUNT(*) FILTER (WHERE status='indexed'), COUNT(*) FILTER (WHERE"
            " status='skipped'), (SELECT COUNT(*) FROM chunks) FROM documents")
        return {"documents": int(indexed), "skipped": int(skipped), "chunks": int(chunks)}
