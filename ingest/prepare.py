"""Turning one file's bytes into a document and its chunks, with no store: the part of ingestion
that may run in another process (it takes and returns plain, picklable data).

Every failure becomes a skip with an Italian reason: a bad file never stops a run.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from ingest.acts import defined_acts
from ingest.chunker import Chunker
from ingest.crossrefs import find_references
from ingest.errors import IngestError
from ingest.legal import parse_units
from ingest.metadata import build_meta
from ingest.models import Block, Chunk, Document
from ingest.ocr import OCR_LANGUAGES
from ingest.ocrcache import OcrCache, ocr_setting
from ingest.readers import Parsed
from ingest.sandbox import parse_isolated
from ingest.sniff import sniff

log = logging.getLogger(__name__)

MAX_FILE_MB = 200
LIMIT_REASONS = ("tempo scaduto", "memoria", "analisi interrotta")
"""Skip reasons of a file that hit a run's limits: tried again by the next run."""
PARENT_CHECK_S = 1.0


@dataclass(frozen=True)
class Limits:
    """Per-file limits of a run, the Tesseract languages of OCR (None: no OCR) and where OCR
    output is kept between runs (`ingest.ocrcache`; None: nowhere)."""

    timeout_s: float = 120
    memory_mb: int = 1024
    max_file_mb: int = MAX_FILE_MB
    max_chars: int | None = None  # extracted text; None = no limit (folders are trusted)
    max_chunks: int | None = None
    ocr: str | None = OCR_LANGUAGES
    ocr_cache: Path | None = None


@dataclass(frozen=True)
class ParseJob:
    """One file to parse: its bytes, their sha256, declared metadata and the limits."""

    rel: str
    name: str
    data: bytes
    digest: str
    fields: dict[str, str]
    limits: Limits


@dataclass(frozen=True)
class Prepared:
    """A parsed file (document and chunks), or the reason it was skipped."""

    rel: str
    digest: str
    document: Document | None = None
    chunks: list[Chunk] = field(default_factory=list)
    reason: str | None = None
    seconds: float = 0.0


def annotate(chunks: list[Chunk], act: str | None, ocr_pages: tuple[int, ...]) -> list[Chunk]:
    """Chunks with their cross-references (of act `act`) and OCR flag filled in."""
    out = []
    defined = defined_acts("\n".join(chunk.text for chunk in chunks))
    for chunk in chunks:
        loc = chunk.locator
        refs = find_references(chunk.text, act=act, article=loc.article,
                               comma=loc.commi[0] if len(loc.commi) == 1 else None,
                               defined=defined)
        ocr = loc.page_start is not None and any(
            loc.page_start <= p <= (loc.page_end or loc.page_start) for p in ocr_pages)
        out.append(replace(chunk, references=tuple(refs), ocr=ocr))
    return out


def check_text_size(blocks: Sequence[Block], limits: Limits) -> None:
    """IngestError when the extracted text exceeds `limits.max_chars`."""
    if limits.max_chars is None:
        return
    total = sum(len(b.text) for b in blocks)
    if total > limits.max_chars:
        raise IngestError(f"testo estratto troppo lungo ({total:,} caratteri, limite "
                          f"{limits.max_chars:,}): dividi il documento in file più piccoli"
                          .replace(",", "."))


def prepare(job: ParseJob) -> Prepared:
    """Sniff, parse (in a limited child), chunk and annotate one file; never raises."""
    start = time.monotonic()
    try:
        document, chunks = _parse(job)
    except IngestError as exc:
        log.info("skipped %s: %s", job.rel, exc)
        return Prepared(job.rel, job.digest, reason=str(exc), seconds=_since(start))
    except Exception as exc:  # a bug on one odd file must not stop the run
        log.exception("unexpected error on %s", job.rel)
        reason = f"errore interno durante l'analisi ({type(exc).__name__})"
        return Prepared(job.rel, job.digest, reason=reason, seconds=_since(start))
    return Prepared(job.rel, job.digest, document, chunks, seconds=_since(start))


def _parse(job: ParseJob) -> tuple[Document, list[Chunk]]:
    limits = job.limits
    fmt = sniff(job.data, job.name)
    parsed = _parse_keeping_ocr(job, fmt)
    meta = build_meta(job.rel, job.fields, parsed)
    check_text_size(parsed.blocks, limits)
    chunks = annotate(Chunker().chunk(parse_units(parsed.blocks, fmt), meta, fmt),
                      meta.act, parsed.ocr_pages)
    if not chunks:
        raise IngestError("nessun testo estraibile")
    if limits.max_chunks is not None and len(chunks) > limits.max_chunks:
        raise IngestError(f"troppi passaggi ({len(chunks)}, limite {limits.max_chunks}): "
                          "dividi il documento in file più piccoli")
    document = Document(file=job.rel, sha256=job.digest, format=fmt, meta=meta,
                        blocks=parsed.blocks, pages=parsed.pages, ocr_pages=parsed.ocr_pages)
    return document, chunks


def _parse_keeping_ocr(job: ParseJob, fmt: str) -> Parsed:
    """Parse in the sandbox; with an OCR cache, pages read before are not read again and each
    page read now is kept, also when the file then runs out of time (the next run resumes)."""
    limits = job.limits
    cache = OcrCache(limits.ocr_cache) if limits.ocr_cache and limits.ocr and fmt == "pdf" \
        else None
    setting = ocr_setting(limits.ocr) if cache and limits.ocr else ""
    known = cache.pages(job.digest, setting) if cache else {}
    read: dict[int, str] = {}
    try:
        return parse_isolated(job.data, fmt, timeout_s=limits.timeout_s,
                              memory_mb=limits.memory_mb, ocr=limits.ocr, ocr_known=known,
                              on_page=read.__setitem__ if cache else None)
    except IngestError as exc:
        if cache and read and any(reason in str(exc) for reason in LIMIT_REASONS):
            pages = f"{len(read)} pagin{'a' if len(read) == 1 else 'e'}"
            raise IngestError(f"{exc} (OCR conservato per {pages}: la prossima acquisizione "
                              "riprende da lì)") from exc
        raise
    finally:
        if cache and read:
            cache.keep(job.digest, setting, read)


def _since(start: float) -> float:
    return round(time.monotonic() - start, 3)


def parse_worker() -> ProcessPoolExecutor:
    """One spawned worker process for `prepare` that exits when this process dies (kill -9)."""
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                               initializer=exit_with_parent, initargs=(os.getpid(),))


def exit_with_parent(parent: int) -> None:
    """In a worker: end the process as soon as `parent` is no longer its parent."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_S)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
