"""SQLite store: the source of truth for documents and chunks (WAL, no pickles)."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.errors import StoreError
from ingest.models import Chunk, Document, DocumentMeta, Locator

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
    themes TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE TABLE IF NOT EXISTS store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS theme_origin (
    doc_id INTEGER PRIMARY KEY, forced TEXT NOT NULL DEFAULT '[]'
);
"""


@dataclass(frozen=True)
class StoredDocument:
    """A document row as stored, with its chunk count."""

    id: int
    source: str
    file: str
    sha256: str
    format: str | None
    meta: DocumentMeta
    pages: int | None
    status: str
    reason: str | None
    chunks: int
    ingested_at: float

    def to_json(self) -> dict[str, object]:
        """The `raccordo documents --json` contract."""
        return {
            "id": self.id,
            "file": self.file,
            "title": self.meta.title,
            "kind": self.meta.kind,
            "city": self.meta.city,
            "year": self.meta.year,
            "pages": self.pages,
            "chunks": self.chunks,
            "status": self.status,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class StoredChunk:
    """A chunk joined with the metadata of its document (what search needs)."""

    chunk: Chunk
    document: StoredDocument


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
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"Archivio SQLite illeggibile ({self.path}): {exc}") from exc

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
                                      doc.meta, doc.pages, "indexed", None)
            conn.executemany(
                "INSERT INTO chunks(doc_id, ordinal, text, context, section, article, commi,"
                " letters, page_start, page_end, themes) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [_chunk_row(doc_id, c) for c in chunks],
            )
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
                    reason: str | None) -> int:
        cur = conn.execute(
            "INSERT INTO documents(source, file, sha256, format, title, kind, issuer, city, year,"
            " url, act, themes, contributor, pages, status, reason, ingested_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (source, file, sha256, fmt, meta.title, meta.kind, meta.issuer, meta.city, meta.year,
             meta.url, meta.act, json.dumps(list(meta.themes)), meta.contributor, pages, status,
             reason, time.time()),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    # ---- reads ----------------------------------------------------------------------------
    def documents(self, source: str | None = None) -> list[StoredDocument]:
        """All documents (optionally of one source folder), ordered by file."""
        sql = _DOC_SELECT + (" WHERE d.source=?" if source is not None else "")
        sql += " GROUP BY d.id ORDER BY d.file"
        with self._lock:
            rows = self._conn.execute(sql, (source,) if source is not None else ()).fetchall()
        return [_doc_from_row(r) for r in rows]

    def document(self, doc_id: int) -> StoredDocument | None:
        """One document by id, or None."""
        with self._lock:
            row = self._conn.execute(_DOC_SELECT + " WHERE d.id=? GROUP BY d.id",
                                     (doc_id,)).fetchone()
        return _doc_from_row(row) if row else None

    def find_document(self, source: str, file: str) -> StoredDocument | None:
        """The stored version of `file` ingested from `source`, or None."""
        with self._lock:
            row = self._conn.execute(
                _DOC_SELECT + " WHERE d.source=? AND d.file=? GROUP BY d.id", (source, file)
            ).fetchone()
        return _doc_from_row(row) if row else None

    def chunks(self, doc_id: int | None = None) -> list[Chunk]:
        """Chunks of one document (or of all), in document order."""
        sql = _CHUNK_SELECT + (" WHERE doc_id=?" if doc_id is not None else "")
        sql += " ORDER BY doc_id, ordinal"
        with self._lock:
            rows = self._conn.execute(sql, (doc_id,) if doc_id is not None else ()).fetchall()
        return [_chunk_from_row(r) for r in rows]

    def chunks_by_ids(self, ids: Sequence[int]) -> dict[int, StoredChunk]:
        """Chunks with their documents, keyed by chunk id (missing ids are left out)."""
        out: dict[int, StoredChunk] = {}
        docs: dict[int, StoredDocument] = {}
        for start in range(0, len(ids), 500):
            part = [int(i) for i in ids[start:start + 500]]
            marks = ",".join("?" * len(part))
            with self._lock:
                rows = self._conn.execute(
                    _CHUNK_SELECT + f" WHERE id IN ({marks})", part
                ).fetchall()
            for row in rows:
                chunk = _chunk_from_row(row)
                assert chunk.doc_id is not None
                if chunk.doc_id not in docs:
                    found = self.document(chunk.doc_id)
                    if found is None:
                        continue
                    docs[chunk.doc_id] = found
                assert chunk.id is not None
                out[chunk.id] = StoredChunk(chunk, docs[chunk.doc_id])
        return out

    def counts(self) -> dict[str, int]:
        """Numbers of indexed documents, skipped documents and chunks."""
        with self._lock:
            indexed, skipped = self._conn.execute(
                "SELECT COALESCE(SUM(status='indexed'),0), COALESCE(SUM(status='skipped'),0)"
                " FROM documents"
            ).fetchone()
            (chunks,) = self._conn.execute("SELECT COUNT(*) FROM chunks").fetchone()
        return {"documents": int(indexed), "skipped": int(skipped), "chunks": int(chunks)}


_DOC_SELECT = (
    "SELECT d.id, d.source, d.file, d.sha256, d.format, d.title, d.kind, d.issuer, d.city,"
    " d.year, d.url, d.act, d.themes, d.contributor, d.pages, d.status, d.reason,"
    " COUNT(c.id), d.ingested_at FROM documents d LEFT JOIN chunks c ON c.doc_id = d.id"
)
_CHUNK_SELECT = (
    "SELECT id, doc_id, ordinal, text, context, section, article, commi, letters,"
    " page_start, page_end, themes FROM chunks"
)


def _chunk_row(doc_id: int, c: Chunk) -> tuple[object, ...]:
    loc = c.locator
    return (doc_id, c.ordinal, c.text, c.context, json.dumps(list(loc.section)), loc.article,
            json.dumps(list(loc.commi)), json.dumps(list(loc.letters)), loc.page_start,
            loc.page_end, json.dumps(list(c.themes)))


def _chunk_from_row(r: Any) -> Chunk:
    loc = Locator(
        section=tuple(json.loads(str(r[5]))), article=r[6],
        commi=tuple(json.loads(str(r[7]))), letters=tuple(json.loads(str(r[8]))),
        page_start=r[9], page_end=r[10],
    )
    return Chunk(ordinal=int(r[2]), text=str(r[3]), context=str(r[4]), locator=loc,
                 id=int(r[0]), doc_id=int(r[1]),
                 themes=tuple(json.loads(str(r[11]))))


def _doc_from_row(r: Any) -> StoredDocument:
    meta = DocumentMeta(
        title=str(r[5]), kind=str(r[6]), issuer=r[7], city=r[8], year=r[9],
        url=r[10], act=r[11], themes=tuple(json.loads(str(r[12]))),
        contributor=r[13],
    )
    return StoredDocument(
        id=int(r[0]), source=str(r[1]), file=str(r[2]), sha256=str(r[3]),
        format=r[4], meta=meta, pages=r[14], status=str(r[15]), reason=r[16],
        chunks=int(r[17]), ingested_at=float(r[18]),
    )
