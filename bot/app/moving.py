"""Moving an embedded data directory into PostgreSQL, vectors included (nothing re-embedded)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot.app.appdb import AppDB
from bot.app.sqlrunner import PgRunner
from bot.errors import BadRequest
from index.builder import DENSE_FILE
from index.dense import DenseIndex
from index.generations import current_manifest, generation_dir
from index.pgindexer import indexed_text
from ingest.pgstore import DIM, PgStore
from ingest.store import Store

# application tables copied row by row, ids kept (their sequences are moved past them)
APP_TABLES = ("users", "invites", "chat_filters", "questions", "feedback", "contributions",
              "api_keys", "audit", "telegram_updates", "reviews")
COPIED_META_SKIP = ("version",)


@dataclass
class MoveReport:
    """What was copied where."""

    target: str
    documents: int = 0
    skipped: int = 0
    chunks: int = 0
    vectors: int = 0
    model_id: str = ""
    tables: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        """Italian summary for the CLI."""
        lines = [f"Copiato in PostgreSQL ({self.target}):",
                 f"  documenti indicizzati: {self.documents} (scartati: {self.skipped})",
                 f"  passaggi: {self.chunks}, vettori: {self.vectors} ({self.model_id}),"
                 " ricalcolati: 0",
                 *(f"  tabella {t}: {n} righe" for t, n in self.tables.items())]
        return "\n".join(lines)


def move_to_postgres(data_dir: Path, url: str) -> MoveReport:
    """Copy documents, chunks, vectors (from the published FAISS generation), BM25 postings,
    store bookkeeping and application tables of `data_dir` into an empty database."""
    db_path, index_dir = Path(data_dir) / "raccordo.db", Path(data_dir) / "index"
    if not db_path.is_file():
        raise BadRequest(f"Nessun archivio da migrare in {data_dir} (manca raccordo.db).")
    source = Store(db_path)
    try:
        manifest = current_manifest(index_dir)
        if manifest is None or manifest.store_version != source.version():
            raise BadRequest("L'indice pubblicato non corrisponde all'archivio: esegui prima "
                             "`raccordo ingest` sulla cartella dei dati.")
        if manifest.dim != DIM:
            raise BadRequest(f"Il backend PostgreSQL richiede vettori di {DIM} dimensioni "
                             f"(l'indice ne ha {manifest.dim}).")
        dense = DenseIndex.load(generation_dir(index_dir, manifest.generation) / DENSE_FILE,
                                manifest.dense_kind)
        target = PgStore(url)
        try:
            report = _copy_store(source, target, dense, manifest.model_id)
            report.tables = _copy_app_tables(source.connection, PgRunner(target.db))
        finally:
            target.close()
    finally:
        source.close()
    return report


def _copy_store(source: Store, target: PgStore, dense: DenseIndex, model_id: str
                ) -> MoveReport:
    if target.counts()["documents"]:
        raise BadRequest("Il database di destinazione contiene già documenti: usa un "
                         "database vuoto.")
    report = MoveReport(target=target.location, model_id=model_id)
    for doc in source.documents():
        chunks = source.chunks(doc.id)
        ids = np.array([c.id for c in chunks], dtype=np.int64)
        vectors = dense.vectors(ids)
        target.copy_document(doc, chunks, [indexed_text(v, c.indexed_text())
                                           for v, c in zip(vectors, chunks, strict=True)])
        report.documents += doc.status == "indexed"
        report.skipped += doc.status == "skipped"
        report.chunks += len(chunks)
        report.vectors += len(vectors)
    target.sync_sequences()
    meta = source.connection.execute("SELECT key, value FROM store_meta").fetchall()
    for key, value in meta:
        if key not in COPIED_META_SKIP:
            target.set_meta_value(str(key), str(value))
    target.set_meta_value("model_id", model_id)
    forced = source.connection.execute("SELECT doc_id, forced FROM theme_origin").fetchall()
    target.copy_theme_origin([(int(d), str(f)) for d, f in forced])
    return report


def _copy_app_tables(conn: sqlite3.Connection, runner: PgRunner) -> dict[str, int]:
    AppDB(conn)  # brings an old data dir's application tables up to the current schema
    copied: dict[str, int] = {}
    for table in APP_TABLES:
        cur = conn.execute(f"SELECT * FROM {table}")
        columns = [d[0] for d in cur.description]
        rows = cur.fetchall()
        marks = ",".join("?" * len(columns))
        for row in rows:
            runner.run(f"INSERT INTO {table} ({','.join(columns)}) VALUES ({marks})",
                       tuple(row))
        if "id" in columns:
            runner.run(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                       f" GREATEST((SELECT MAX(id) FROM {table}), 1))")
        copied[table] = len(rows)
    return copied
