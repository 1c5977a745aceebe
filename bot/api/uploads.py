"""Uploaded documents: saved under uploads/api/, ingested, published in a new generation."""

from __future__ import annotations

import hashlib
import logging
import re
import tempfile
import unicodedata
from pathlib import Path

from fastapi import UploadFile

from bot.api.errors import TooLarge
from bot.errors import BadRequest
from bot.service import Raccordo
from ingest.errors import IngestError
from ingest.store import StoredDocument

log = logging.getLogger(__name__)

READ_BLOCK = 1024 * 1024
PUBLISH_WAIT_S = 10.0
UPLOAD_SUBDIR = "api"
MAX_NAME = 120
MAX_SUFFIX = 10


def uploads_root(service: Raccordo) -> Path:
    """The folder (and ingest `source`) of documents uploaded through the API."""
    return (service.settings.uploads_dir / UPLOAD_SUBDIR).resolve()


def safe_name(filename: str | None) -> str:
    """A plain file name from a client-supplied one (no folders, no odd characters)."""
    base = Path((filename or "").replace("\\", "/")).name
    base = unicodedata.normalize("NFKC", base)
    base = re.sub(r"[^\w.\-]+", "_", base, flags=re.UNICODE).strip("._")
    if len(base) <= MAX_NAME:
        return base or "documento"
    suffix = Path(base).suffix if len(Path(base).suffix) <= MAX_SUFFIX else ""
    return base[:MAX_NAME - len(suffix)].rstrip("._") + suffix  # the extension survives


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
    """Ingest one saved upload and publish it; an unreadable file is deleted again."""
    try:
        return service.add_file(path, meta)
    except IngestError:
        path.unlink(missing_ok=True)
        raise


def delete_document(service: Raccordo, doc_id: int) -> StoredDocument:
    """Remove a document (and its uploaded file) and publish an index without it."""
    stored = service.remove_document(doc_id)
    if Path(stored.source) == uploads_root(service):
        (Path(stored.source) / stored.file).unlink(missing_ok=True)
    return stored
