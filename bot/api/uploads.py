"""Uploaded documents: saved under uploads/api/, ingested, published in a new generation."""

from __future__ import annotations

import hashlib
import logging
import re
import tempfile
import time
import unicodedata
from pathlib import Path

from fastapi import UploadFile

from bot.api.errors import TooLarge
from bot.errors import BadRequest, NotFound
from bot.service import Raccordo
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

    Searches keep being served by the old generation until the new one is published.
    A file that cannot be read is removed again and reported as an ingest error.
    """
    from ingest.pipeline import ingest_file

    source = str(path.parent)
    with service._write_lock:  # one ingest/index build at a time, as in Raccordo.ingest
        ingest_file(path, service.store, source=source, file=path.name, meta=meta)
        stored = service.store.find_document(source, path.name)
        if stored is None or stored.status != "indexed":
            reason = stored.reason if stored is not None else None
            if stored is not None:
                service.store.remove_document(stored.id)
            path.unlink(missing_ok=True)
            raise IngestError(f"Documento non acquisito: {reason or 'file non leggibile'}.")
        service.build_index()
    await_published(service)
    return stored


def delete_document(service: Raccordo, doc_id: int) -> StoredDocument:
    """Remove a document and its chunks, then publish an index without them."""
    with service._write_lock:
        stored = service.store.document(doc_id)
        if stored is None or not service.store.remove_document(doc_id):
            raise NotFound(f"Nessun documento con id {doc_id}.")
        service.build_index()
    await_published(service)
    if Path(stored.source) == uploads_root(service):
        (Path(stored.source) / stored.file).unlink(missing_ok=True)
    return stored


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
