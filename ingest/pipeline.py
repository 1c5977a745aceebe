"""Incremental ingestion of a folder (or one file) into the store, with a per-file report.

Files are keyed by (source folder, relative path) and sha256: unchanged files are skipped
without parsing, changed files replaced in one transaction, vanished files removed.
Skipped (bad) files are recorded with an Italian reason and never stop the run.

Unchanged files skipped earlier stay skipped without re-parsing (reported as "unchanged" with
their reason), except those that hit the time or memory limit, which are tried again.

Folder rules: hidden files, MANIFEST.* and *.meta.yaml sidecars are not documents; README
files at the root are ignored unless the manifest lists them, and so is the theme taxonomy
(`themes.yaml` at the root); files absent from the manifest
are still ingested, with metadata from the document itself.
"""

from __future__ import annotations

import hashlib
import logging
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from tqdm import tqdm

from ingest.chunker import CHUNKING_VERSION, Chunker
from ingest.crossrefs import find_references
from ingest.errors import IngestError
from ingest.legal import parse_units
from ingest.metadata import (
    MANIFESTS,
    SIDECAR_SUFFIXES,
    build_meta,
    declared,
    load_manifest,
    load_sidecar,
    meta_matches,
)
from ingest.models import Block, Chunk, Document
from ingest.ocr import OCR_LANGUAGES
from ingest.sandbox import parse_isolated
from ingest.sniff import sniff
from ingest.storeapi import DocumentStore
from ingest.storetypes import StoredDocument

log = logging.getLogger(__name__)

MAX_FILE_MB = 200
STATUSES = ("indexed", "unchanged", "removed", "skipped")


@dataclass(frozen=True)
class Limits:
    """Per-file limits of a run, and the Tesseract languages of OCR (None: no OCR)."""

    timeout_s: float = 120
    memory_mb: int = 1024
    max_file_mb: int = MAX_FILE_MB
    max_chars: int | None = None  # extracted text; None = no limit (folders are trusted)
    max_chunks: int | None = None
    ocr: str | None = OCR_LANGUAGES


def annotate(chunks: list[Chunk], act: str | None, ocr_pages: tuple[int, ...]) -> list[Chunk]:
    """Chunks with their cross-references (of act `act`) and OCR flag filled in."""
    out = []
    for chunk in chunks:
        loc = chunk.locator
        refs = find_references(chunk.text, act=act, article=loc.article,
                               comma=loc.commi[0] if len(loc.commi) == 1 else None)
        ocr = loc.page_start is not None and any(
            loc.page_start <= p <= (loc.page_end or loc.page_start) for p in ocr_pages)
        out.append(replace(chunk, references=tuple(refs), ocr=ocr))
    return out


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one file in a run."""

    file: str
    status: str  # one of STATUSES
    reason: str | None = None  # Italian, for skipped (and unchanged-but-skipped) files
    chunks: int = 0
    pages: int | None = None
    seconds: float = 0.0


@dataclass
class IngestReport:
    """The per-file outcomes of a run."""

    source: str
    outcomes: list[FileOutcome] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """True when the store changed (something indexed, removed or newly skipped)."""
        return any(o.status in ("indexed", "removed", "skipped") for o in self.outcomes)

    @property
    def failed(self) -> bool:
        """True when a file was skipped in this run."""
        return any(o.status == "skipped" for o in self.outcomes)

    def count(self, status: str) -> int:
        """Number of files with `status`."""
        return sum(1 for o in self.outcomes if o.status == status)

    def summary(self) -> str:
        """Italian per-file table plus totals."""
        names = {"indexed": "indicizzato", "unchanged": "invariato", "removed": "rimosso",
                 "skipped": "scartato"}
        width = min(60, max((len(o.file) for o in self.outcomes), default=4))
        lines = [f"{'file':<{width}}  {'esito':<11}  {'pag.':>5}  {'chunk':>5}  {'s':>6}  motivo"]
        for o in self.outcomes:
            name = o.file if len(o.file) <= width else "…" + o.file[-(width - 1):]
            pages = "" if o.pages is None else str(o.pages)
            lines.append(f"{name:<{width}}  {names[o.status]:<11}  {pages:>5}  {o.chunks:>5}  "
                         f"{o.seconds:>6.2f}  {o.reason or ''}".rstrip())
        totals = ", ".join(f"{self.count(s)} {names[s]}" for s in STATUSES)
        chunks = sum(o.chunks for o in self.outcomes)
        lines.append(f"Totale: {len(self.outcomes)} file ({totals}); {chunks} chunk nuovi.")
        if not self.changed:
            lines.append("Nessuna modifica: archivio già aggiornato.")
        return "\n".join(lines)


def sha256_of(data: bytes) -> str:
    """Hex sha256 of file content."""
    return hashlib.sha256(data).hexdigest()


TAXONOMY_FILE = "themes.yaml"


def list_files(root: Path, manifest: Mapping[str, object]) -> list[str]:
    """Relative paths of the documents under `root` (see the module rules)."""
    out: list[str] = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if not path.is_file() or any(p.startswith(".") for p in Path(rel).parts):
            continue
        name = path.name
        if name in MANIFESTS or name.endswith(SIDECAR_SUFFIXES):
            continue
        if "/" not in rel and name.lower().startswith("readme") and rel not in manifest:
            continue
        if rel == TAXONOMY_FILE:  # the theme taxonomy lives beside the corpus, not in it
            continue
        out.append(rel)
    return out


def ingest_path(root: Path, store: DocumentStore, *, rebuild: bool = False, progress: bool = False,
                pdf_timeout_s: float = 120, pdf_memory_mb: int = 1024,
                max_file_mb: int = MAX_FILE_MB,
                ocr: str | None = OCR_LANGUAGES) -> IngestReport:
    """Ingest a folder (or a single file) incrementally; bad files are skipped, not fatal.

    Every file is parsed in a child process limited to `pdf_timeout_s` seconds and
    `pdf_memory_mb` MB of extra address space; files over `max_file_mb` are skipped.
    PDF pages without a text layer are read by Tesseract in that child, in the `ocr`
    languages ("ita", "ita+eng"); None turns OCR off (scans are skipped as "needs OCR").
    """
    limits = Limits(timeout_s=pdf_timeout_s, memory_mb=pdf_memory_mb, max_file_mb=max_file_mb,
                    ocr=ocr)
    plan = plan_run(root, store, rebuild=rebuild)
    report = IngestReport(source=plan.source)
    bar = tqdm(plan.files, unit="file", desc="ingest",
               disable=not (progress and sys.stderr.isatty()))
    for rel in bar:
        bar.set_postfix_str(rel[-40:], refresh=False)
        report.outcomes.append(_ingest_one(plan.folder / rel, rel, plan.source, store,
                                           plan.fields(rel), rebuild=plan.rebuild,
                                           limits=limits))
    bar.close()
    report.outcomes += finish_run(plan, store)
    return report


@dataclass(frozen=True)
class RunPlan:
    """What a run over a folder (or one file) covers."""

    root: Path
    folder: Path
    source: str
    files: list[str]
    manifest: Mapping[str, Mapping[str, str]]
    rebuild: bool

    def fields(self, rel: str) -> dict[str, str]:
        """The declared metadata of a file (manifest row, then its sidecar)."""
        return dict(declared(self.manifest.get(rel, {}), load_sidecar(self.folder / rel)))


def plan_run(root: Path, store: DocumentStore, *, rebuild: bool = False) -> RunPlan:
    """The files of a run; `rebuild` is forced when the source was cut by an older chunker."""
    root = Path(root).resolve()
    if root.is_file():
        folder, files = root.parent, [root.name]
    elif root.is_dir():
        folder, files = root, []
    else:
        raise IngestError(f"percorso inesistente: {root}")
    manifest = load_manifest(folder)
    if not files:
        files = list_files(folder, manifest)
    source = str(folder)
    chunking_key = f"chunking:{source}"
    if store.meta_value(chunking_key) != CHUNKING_VERSION:
        if store.documents(source):  # cut by an older chunker: cut again (recorded at the end)
            log.info("chunking changed since the last run: files of %s are re-chunked", source)
            rebuild = True
        elif root.is_dir():  # a new source: an interrupted first run resumes incrementally
            store.set_meta_value(chunking_key, CHUNKING_VERSION)
    return RunPlan(root, folder, source, files, manifest, rebuild)


def finish_run(plan: RunPlan, store: DocumentStore) -> list[FileOutcome]:
    """Remove the documents of files no longer in the folder; record the chunking."""
    if not plan.root.is_dir():
        return []
    present = set(plan.files)
    removed = [FileOutcome(doc.file, "removed") for doc in store.documents(plan.source)
               if doc.file not in present and store.remove_document(doc.id)]
    store.set_meta_value(f"chunking:{plan.source}", CHUNKING_VERSION)
    return removed


def is_current(stored: StoredDocument | None, digest: str, fields: Mapping[str, str], *,
               rebuild: bool) -> bool:
    """True when the stored version of a file is up to date (nothing to parse again)."""
    return (not rebuild and stored is not None and stored.sha256 == digest
            and meta_matches(stored.meta, fields) and not _retry(stored.reason))


def ingest_file(path: Path, store: DocumentStore, *, source: str, file: str,
                meta: Mapping[str, str] | None = None, limits: Limits | None = None,
                rebuild: bool = False) -> FileOutcome:
    """Ingest one file (an upload) under (`source`, `file`), with metadata overrides.

    `meta` holds manifest-style fields (title, kind, city, contributor, year, url, ...).
    """
    path = Path(path)
    fields = declared(load_sidecar(path), dict(meta or {}))
    return _ingest_one(path, file, source, store, fields, rebuild=rebuild,
                       limits=limits or Limits())


def check_text_size(blocks: Sequence[Block], limits: Limits) -> None:
    """IngestError when the extracted text exceeds `limits.max_chars`."""
    if limits.max_chars is None:
        return
    total = sum(len(b.text) for b in blocks)
    if total > limits.max_chars:
        raise IngestError(f"testo estratto troppo lungo ({total:,} caratteri, limite "
                          f"{limits.max_chars:,}): dividi il documento in file più piccoli"
                          .replace(",", "."))


_TRANSIENT = ("tempo scaduto", "memoria", "analisi interrotta")


def _retry(reason: str | None) -> bool:
    """Files skipped for time or memory limits are tried again (limits may differ)."""
    return reason is not None and any(t in reason for t in _TRANSIENT)


def _ingest_one(path: Path, rel: str, source: str, store: DocumentStore, fields: Mapping[str, str],
                *, rebuild: bool, limits: Limits) -> FileOutcome:
    start = time.monotonic()

    def took() -> float:
        return round(time.monotonic() - start, 3)

    try:
        size = path.stat().st_size
        if size > limits.max_file_mb * 1024 * 1024:
            reason = (f"file troppo grande ({size / 1048576:.0f} MB, limite "
                      f"{limits.max_file_mb} MB)")
            store.record_skipped(source, rel, "size:" + str(size), reason,
                                 build_meta(rel, fields, None))
            return FileOutcome(rel, "skipped", reason, seconds=took())
        data = path.read_bytes()
    except OSError as exc:
        reason = f"file illeggibile ({exc.strerror or type(exc).__name__})"
        return FileOutcome(rel, "skipped", reason, seconds=took())
    digest = sha256_of(data)
    stored = store.find_document(source, rel)
    if stored is not None and is_current(stored, digest, fields, rebuild=rebuild):
        return FileOutcome(rel, "unchanged", stored.reason, chunks=stored.chunks,
                           pages=stored.pages, seconds=took())
    try:
        fmt = sniff(data, path.name)
        parsed = parse_isolated(data, fmt, timeout_s=limits.timeout_s,
                                memory_mb=limits.memory_mb, ocr=limits.ocr)
        meta = build_meta(rel, fields, parsed)
        check_text_size(parsed.blocks, limits)
        chunks = annotate(Chunker().chunk(parse_units(parsed.blocks, fmt), meta, fmt),
                          meta.act, parsed.ocr_pages)
        if not chunks:
            raise IngestError("nessun testo estraibile")
        if limits.max_chunks is not None and len(chunks) > limits.max_chunks:
            raise IngestError(f"troppi passaggi ({len(chunks)}, limite {limits.max_chunks}): "
                              "dividi il documento in file più piccoli")
    except IngestError as exc:
        reason = str(exc)
        log.info("skipped %s: %s", rel, reason)
        store.record_skipped(source, rel, digest, reason, build_meta(rel, fields, None))
        return FileOutcome(rel, "skipped", reason, seconds=took())
    except Exception as exc:  # a bug on one odd file must not stop the run
        log.exception("unexpected error on %s", rel)
        reason = f"errore interno durante l'analisi ({type(exc).__name__})"
        store.record_skipped(source, rel, digest, reason, build_meta(rel, fields, None))
        return FileOutcome(rel, "skipped", reason, seconds=took())
    doc = Document(file=rel, sha256=digest, format=fmt, meta=meta, blocks=parsed.blocks,
                   pages=parsed.pages, ocr_pages=parsed.ocr_pages)
    store.replace_document(source, doc, chunks)
    return FileOutcome(rel, "indexed", None, chunks=len(chunks), pages=parsed.pages,
                       seconds=took())
