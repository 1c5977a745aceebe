"""SQLite store: the source of truth for documents and chunks (WAL, no pickles)."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ingest.actdates import act_dates
from ingest.errors import StoreError
from ingest.models import Chunk, Document, DocumentMeta, Reference
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

__all__ = ["ResolvedReference", "Store", "StoredChunk", "StoredDocument"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    file TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    format TEXT,
    title TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'other',
    issuer TEXT,
    city TEXT,
    year INTEGER,
    url TEXT,
    act TEXT,
    themes TEXT NOT NULL DEFAULT '[]',
    contributor TEXT,
    pages INTEGER,
    ocr_pages TEXT NOT NULL DEFAULT '[]',
    in_force TEXT,
    status TEXT NOT NULL CHECK (status IN ('indexed', 'skipped')),
    reason TEXT,
    ingested_at REAL NOT NULL,
    UNIQUE (source, file)
);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    text TEXT NOT NULL,
    context TEXT NOT NULL DEFAULT '',
    section TEXT NOT NULL DEFAULT '[]',
    article TEXT,
    commi TEXT NOT NULL DEFAULT '[]',
    letters TEXT NOT NULL DEFAULT '[]',
    page_start INTEGER,
    page_end INTEGER,
    themes TEXT NOT NULL DEFAULT '[]',
    vigente INTEGER NOT NULL DEFAULT 1,
    repeal_note TEXT,
    repealed TEXT NOT NULL DEFAULT '[]',
    amended INTEGER NOT NULL DEFAULT 0,
    ocr INTEGER NOT NULL DEFAULT 0,
    page_breaks TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE TABLE IF NOT EXISTS chunk_refs (
    chunk_id INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    text TEXT NOT NULL,
    act TEXT,
    article TEXT,
    comma TEXT,
    letter TEXT,
    same_act INTEGER NOT NULL DEFAULT 0,
    start_offset INTEGER NOT NULL DEFAULT 0,
    end_offset INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (chunk_id, position)
);
CREATE TABLE IF NOT EXISTS store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS theme_origin (
    doc_id INTEGER PRIMARY KEY, forced TEXT NOT NULL DEFAULT '[]'
);
"""
# columns added after the first release: (table, column, declaration) for older files
ADDED_COLUMNS = (
    ("documents", "ocr_pages", "TEXT NOT NULL DEFAULT '[]'"),
    ("chunks", "vigente", "INTEGER NOT NULL DEFAULT 1"),
    ("chunks", "repeal_note", "TEXT"),
    ("chunks", "repealed", "TEXT NOT NULL DEFAULT '[]'"),
    ("chunks", "amended", "INTEGER NOT NULL DEFAULT 0"),
    ("chunks", "ocr", "INTEGER NOT NULL DEFAULT 0"),
    ("chunks", "page_breaks", "TEXT NOT NULL DEFAULT '[]'"),
    ("documents", "in_force", "TEXT"),
)


class Store:
    """SQLite-backed store of documents and chunks; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        try:
            self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA busy_timeout=10000")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.executescript(SCHEMA)
            self._add_columns()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"Archivio SQLite illeggibile ({self.path}): {exc}") from exc

    def _add_columns(self) -> None:
        """Bring a store written by an older release up to the current columns."""
        for table, column, decl in ADDED_COLUMNS:
            have = {r[1] for r in self._conn.execute(f"PRAGMA table_info({table})")}
            if column not in have:
                self._conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")

    @property
    def location(self) -> str:
        """The SQLite file."""
        return str(self.path)

    @property
    def connection(self) -> sqlite3.Connection:
        """The raw connection, for application tables that live in the same file."""
        return self._conn

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction, committed on success, rolled back on error."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    # ---- versions -------------------------------------------------------------------------
    def version(self) -> int:
        """A counter bumped by every change to documents or chunks."""
        with self._lock:
            row = self._conn.execute(
                "SELECT value FROM store_meta WHERE key='version'"
            ).fetchone()
        return int(row[0]) if row else 0

    def meta_value(self, key: str) -> str | None:
        """A value of the store's own bookkeeping (e.g. the chunking a source was cut with)."""
        with self._lock:
            row = self._conn.execute("SELECT value FROM store_meta WHERE key=?",
                                     (key,)).fetchone()
        return str(row[0]) if row else None

    def set_meta_value(self, key: str, value: str) -> None:
        """Record a bookkeeping value (see `meta_value`)."""
        with self.transaction() as conn:
            conn.execute("INSERT INTO store_meta(key, value) VALUES(?, ?) ON CONFLICT(key) "
                         "DO UPDATE SET value = excluded.value", (key, value))

    def _bump(self, conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO store_meta(key, value) VALUES('version', '1') ON CONFLICT(key) "
            "DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    # ---- writes ---------------------------------------------------------------------------
    def replace_document(self, source: str, doc: Document, chunks: Sequence[Chunk]) -> int:
        """Store `doc` and its chunks, replacing any previous version of the same file."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM documents WHERE source=? AND file=?", (source, doc.file))
            doc_id = self._insert_doc(conn, source, doc.file, doc.sha256, doc.format,
                                      doc.meta, doc.pages, "indexed", None, doc.ocr_pages)
            for chunk in chunks:
                cur = conn.execute(
                    "INSERT INTO chunks(doc_id, ordinal, text, context, section, article, commi,"
                    " letters, page_start, page_end, themes, vigente, repeal_note, repealed,"
                    " amended, ocr, page_breaks) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    chunk_row(doc_id, chunk))
                conn.executemany(
                    "INSERT INTO chunk_refs(chunk_id, position, text, act, article, comma,"
                    " letter, same_act, start_offset, end_offset) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    [(cur.lastrowid, i, r.text, r.act, r.article, r.comma, r.letter,
                      int(r.same_act), r.start, r.end) for i, r in enumerate(chunk.references)])
            self._bump(conn)
        return doc_id

    def record_skipped(self, source: str, file: str, sha256: str, reason: str,
                       meta: DocumentMeta | None = None) -> int:
        """Record a file that could not be ingested, dropping any earlier version."""
        meta = meta or DocumentMeta(title=Path(file).name)
        with self.transaction() as conn:
            conn.execute("DELETE FROM documents WHERE source=? AND file=?", (source, file))
            doc_id = self._insert_doc(conn, source, file, sha256, None, meta, None,
                                      "skipped", reason)
            self._bump(conn)
        return doc_id

    def remove_document(self, doc_id: int) -> bool:
        """Delete a document and its chunks; True when it existed."""
        with self.transaction() as conn:
            cur = conn.execute("DELETE FROM documents WHERE id=?", (doc_id,))
            if cur.rowcount:
                self._bump(conn)
        return bool(cur.rowcount)

    def set_chunk_themes(self, themes_by_chunk: dict[int, Sequence[str]]) -> None:
        """Overwrite the theme tags of the given chunks."""
        with self.transaction() as conn:
            conn.executemany(
                "UPDATE chunks SET themes=? WHERE id=?",
                [(json.dumps(list(t)), cid) for cid, t in themes_by_chunk.items()],
            )

    def set_document_themes(self, doc_id: int, themes: Sequence[str]) -> None:
        """Overwrite the theme tags of a document."""
        with self.transaction() as conn:
            conn.execute("UPDATE documents SET themes=? WHERE id=?",
                         (json.dumps(list(themes)), doc_id))

    def chunk_themes(self) -> dict[int, tuple[str, ...]]:
        """Theme tags of every chunk, by chunk id."""
        with self.transaction() as conn:
            rows = conn.execute("SELECT id, themes FROM chunks").fetchall()
        return {int(cid): tuple(json.loads(raw)) for cid, raw in rows}

    def document_themes(self) -> dict[int, tuple[str, ...]]:
        """Theme tags of every document, by document id."""
        with self.transaction() as conn:
            rows = conn.execute("SELECT id, themes FROM documents").fetchall()
        return {int(did): tuple(json.loads(raw)) for did, raw in rows}

    def declared_themes(self) -> dict[int, tuple[str, ...]]:
        """Themes declared by manifest or sidecar, remembered per document id.

        `documents.themes` holds the declared themes right after ingestion and the tagged
        ones afterwards; the first value seen for a document id (ids are never reused) is
        kept in `theme_origin`, so re-tagging never mistakes computed themes for declared.
        """
        with self.transaction() as conn:
            conn.execute("DELETE FROM theme_origin WHERE doc_id NOT IN (SELECT id FROM documents)")
            conn.execute("INSERT OR IGNORE INTO theme_origin(doc_id, forced)"
                         " SELECT id, themes FROM documents")
            rows = conn.execute("SELECT doc_id, forced FROM theme_origin").fetchall()
        return {int(d): tuple(json.loads(f)) for d, f in rows if json.loads(f)}

    def _insert_doc(self, conn: sqlite3.Connection, source: str, file: str, sha256: str,
                    fmt: str | None, meta: DocumentMeta, pages: int | None, status: str,
                    reason: str | None, ocr_pages: Sequence[int] = ()) -> int:
        cur = conn.execute(
            "INSERT INTO documents(source, file, sha256, format, title, kind, issuer, city, year,"
            " url, act, themes, contributor, pages, status, reason, ingested_at, ocr_pages,"
            " in_force) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (source, file, sha256, fmt, meta.title, meta.kind, meta.issuer, meta.city, meta.year,
             meta.url, meta.act, json.dumps(list(meta.themes)), meta.contributor, pages, status,
             reason, time.time(), json.dumps(list(ocr_pages)), meta.in_force),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    # ---- reads ----------------------------------------------------------------------------
    def documents(self, source: str | None = None) -> list[StoredDocument]:
        """All documents (optionally of one source folder), ordered by file."""
        sql = DOC_SELECT + (" WHERE d.source=?" if source is not None else "")
        sql += " GROUP BY d.id ORDER BY d.file"
        with self._lock:
            rows = self._conn.execute(sql, (source,) if source is not None else ()).fetchall()
        return [doc_from_row(r) for r in rows]

    def document(self, doc_id: int) -> StoredDocument | None:
        """One document by id, or None."""
        with self._lock:
            row = self._conn.execute(DOC_SELECT + " WHERE d.id=? GROUP BY d.id",
                                     (doc_id,)).fetchone()
        return doc_from_row(row) if row else None

    def find_document(self, source: str, file: str) -> StoredDocument | None:
        """The stored version of `file` ingested from `source`, or None."""
        with self._lock:
            row = self._conn.execute(
                DOC_SELECT + " WHERE d.source=? AND d.file=? GROUP BY d.id", (source, file)
            ).fetchone()
        return doc_from_row(row) if row else None

    def chunks(self, doc_id: int | None = None) -> list[Chunk]:
        """Chunks of one document (or of all), in document order."""
        sql = CHUNK_SELECT + (" WHERE doc_id=?" if doc_id is not None else "")
        sql += " ORDER BY doc_id, ordinal"
        with self._lock:
            rows = self._conn.execute(sql, (doc_id,) if doc_id is not None else ()).fetchall()
            refs = self._references(None if doc_id is None else [int(r[0]) for r in rows])
        return [chunk_from_row(r, refs.get(int(r[0]), ())) for r in rows]

    def _references(self, chunk_ids: Sequence[int] | None) -> dict[int, tuple[Reference, ...]]:
        """Stored references of the given chunks (of every chunk when None)."""
        sql = f"SELECT {REF_COLUMNS} FROM chunk_refs {{}} ORDER BY chunk_id, position"
        rows: list[Any] = []
        if chunk_ids is None:
            rows = self._conn.execute(sql.format("")).fetchall()
        for start in range(0, len(chunk_ids or ()), 500):
            part = list((chunk_ids or ())[start:start + 500])
            rows += self._conn.execute(
                sql.format(f"WHERE chunk_id IN ({','.join('?' * len(part))})"), part).fetchall()
        return group_references(rows)

    def chunks_by_ids(self, ids: Sequence[int]) -> dict[int, StoredChunk]:
        """Chunks with their documents, keyed by chunk id (missing ids are left out)."""
        out: dict[int, StoredChunk] = {}
        docs: dict[int, StoredDocument] = {}
        for start in range(0, len(ids), 500):
            part = [int(i) for i in ids[start:start + 500]]
            marks = ",".join("?" * len(part))
            with self._lock:
                rows = self._conn.execute(
                    CHUNK_SELECT + f" WHERE id IN ({marks})", part
                ).fetchall()
                refs = self._references(part)
            for row in rows:
                chunk = chunk_from_row(row, refs.get(int(row[0]), ()))
                assert chunk.doc_id is not None
                if chunk.doc_id not in docs:
                    found = self.document(chunk.doc_id)
                    if found is None:
                        continue
                    docs[chunk.doc_id] = found
                assert chunk.id is not None
                out[chunk.id] = StoredChunk(chunk, docs[chunk.doc_id])
        return out

    def references(self, chunk_ids: Sequence[int]) -> dict[int, list[ResolvedReference]]:
        """The references of the given chunks, each resolved to the chunk it cites.

        A reference of the chunk's own act is looked up in the chunk's document; one of
        another act in the indexed documents with that act key (`documents.act`). The cited
        chunk is the article's chunk holding the cited comma (and letter), else the article's
        first chunk; an act cited without article resolves to its document's first chunk.
        """
        return resolve_all(chunk_ids, self.chunks_by_ids(list(chunk_ids)), self._lookup)

    def act_dates(self) -> dict[str, str]:
        """Act key -> ISO date, as the stored references write it (`ingest.actdates`)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT act, text FROM chunk_refs WHERE act IS NOT NULL").fetchall()
        return act_dates(rows)

    def _lookup(self, ref: Reference, own_doc: int) -> Target:
        with self._lock:
            if ref.same_act:
                docs = [own_doc]
            elif ref.act:
                docs = [int(r[0]) for r in self._conn.execute(
                    "SELECT id FROM documents WHERE act=? AND status='indexed' ORDER BY id",
                    (ref.act,))]
            else:
                return NOT_FOUND
            if not docs:
                return NOT_FOUND
            marks = ",".join("?" * len(docs))
            where = f"doc_id IN ({marks})" + (" AND article=?" if ref.article else "")
            rows = self._conn.execute(
                f"SELECT id, doc_id, commi, letters, vigente FROM chunks WHERE {where}"
                " ORDER BY doc_id, ordinal" + ("" if ref.article else " LIMIT 1"),
                [*docs, *([ref.article] if ref.article else [])]).fetchall()
        return best_target(ref, rows)

    def counts(self) -> dict[str, int]:
        """Numbers of indexed documents, skipped documents and chunks."""
        with self._lock:
            indexed, skipped = self._conn.execute(
                "SELECT COALESCE(SUM(status='indexed'),0), COALESCE(SUM(status='skipped'),0)"
                " FROM documents"
            ).fetchone()
            (chunks,) = self._conn.execute("SELECT COUNT(*) FROM chunks").fetchone()
        return {"documents": int(indexed), "skipped": int(skipped), "chunks": int(chunks)}
