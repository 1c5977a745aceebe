"""Incremental ingestion of a folder (or one file) into the store, with a per-file report.

Files are keyed by (source folder, relative path) and sha256: unchanged files are skipped
without parsing, changed files replaced in one transaction, vanished files removed.
Skipped (bad) files are recorded with an Italian reason and never stop the run.

Unchanged files skipped earlier stay skipped without re-parsing (reported as "unchanged" with
their reason), except those that hit the time or memory limit, or were scans read while OCR
was off or Tesseract missing: they are tried again (the limits or the machine may differ).

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
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tqdm import tqdm

from ingest.chunker import CHUNKING_VERSION
from ingest.errors import IngestError
from ingest.metadata import (
    MANIFESTS,
    SIDECAR_SUFFIXES,
    build_meta,
    declared,
    load_manifest,
    load_sidecar,
    meta_matches,
)
from ingest.models import Chunk
from ingest.prepare import (
    LIMIT_REASONS,
    MAX_FILE_MB,
    Limits,
    ParseJob,
    Prepared,
    annotate,
    check_text_size,
    prepare,
)
from ingest.readers.pdf import NEEDS_OCR
from ingest.storeapi import DocumentStore
from ingest.storetypes import StoredDocument

log = logging.getLogger(__name__)

__all__ = ["MAX_FILE_MB", "FileOutcome", "IngestReport", "Limits", "annotate", "check_text_size",
           "ingest_file", "ingest_path", "list_files", "sha256_of"]
STATUSES = ("indexed", "unchanged", "removed", "skipped")
LOOKAHEAD = 2  # files parsed ahead of the one being stored (and embedded by `after_file`)
CRASHED = "analisi interrotta (il processo di analisi è terminato)"
AfterFile = Callable[[Sequence[Chunk]], object]


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
        new = sum(o.chunks for o in self.outcomes if o.status == "indexed")
        kept = new + sum(o.chunks for o in self.outcomes if o.status == "unchanged")
        lines.append(f"Totale: {len(self.outcomes)} file ({totals}); {new} chunk nuovi, "
                     f"{kept} in tutto.")
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
                limits: Limits | None = None, executor: Executor | None = None,
                after_file: AfterFile | None = None) -> IngestReport:
    """Ingest a folder (or a single file) incrementally; bad files are skipped, not fatal.

    Every file is parsed in a child process within `limits` (`Limits`: seconds, MB of extra
    address space; files over `max_file_mb` are skipped). PDF pages without a text layer are
    read by Tesseract in that child, in the `ocr` languages ("ita", "ita+eng"); None turns
    OCR off (scans are skipped as "needs OCR"); with `ocr_cache`, a page read once is not
    read again (`ingest.ocrcache`).
    With an `executor` (one worker process), files are parsed and chunked there, up to
    `LOOKAHEAD` ahead, while this process stores each parsed file and calls `after_file`
    with its chunks (to embed them meanwhile); a dead worker skips its file and the rest is
    parsed here.
    """
    limits = limits or Limits()
    plan = plan_run(root, store, rebuild=rebuild)
    report = IngestReport(source=plan.source)
    run = _Run(store, plan.source, _Parser(executor), after_file,
               _bar(len(plan.files), progress), rebuild=plan.rebuild, limits=limits)
    for rel in plan.files:
        run.start(plan.folder / rel, rel, plan.fields(rel))
    report.outcomes.extend(run.finish_all())
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
    run = _Run(store, source, _Parser(None), None, None, rebuild=rebuild,
               limits=limits or Limits())
    run.start(path, file, fields)
    return run.finish_all()[0]


_TRANSIENT = (*LIMIT_REASONS, NEEDS_OCR)


def _retry(reason: str | None) -> bool:
    """Files skipped for time or memory limits, or for want of OCR, are tried again (the
    limits may differ, Tesseract may have been installed since)."""
    return reason is not None and any(t in reason for t in _TRANSIENT)


def _bar(total: int, progress: bool) -> Any:
    """A file progress bar (with chunks/s in its postfix) on a terminal, else None."""
    if not (progress and total and sys.stderr.isatty()):
        return None
    return tqdm(total=total, unit="file", desc="ingest", file=sys.stderr)


class _Parser:
    """Runs `prepare` on the executor's worker, or here (no executor, or a dead worker)."""

    def __init__(self, executor: Executor | None) -> None:
        self.executor = executor
        self.broken = False

    def submit(self, job: ParseJob) -> Future[Prepared]:
        """Start parsing `job` (at once and here when there is no usable worker)."""
        if self.executor is not None and not self.broken:
            try:
                return self.executor.submit(prepare, job)
            except BrokenProcessPool:
                self.broken = True
        done: Future[Prepared] = Future()
        done.set_result(prepare(job))
        return done

    def result(self, future: Future[Prepared], job: ParseJob) -> Prepared:
        """The parse of `job`; the first job of a dead worker is skipped, later ones run here."""
        try:
            return future.result()
        except BrokenProcessPool:
            if self.broken:
                return prepare(job)
            self.broken = True
            log.warning("the parse worker died on %s: the rest is parsed in-process", job.rel)
            return Prepared(job.rel, job.digest, reason=CRASHED)
        except Exception as exc:  # e.g. a result that cannot cross the pipe
            log.exception("parse worker failed on %s", job.rel)
            reason = f"errore interno durante l'analisi ({type(exc).__name__})"
            return Prepared(job.rel, job.digest, reason=reason)


@dataclass
class _Pending:
    """A file on its way: an outcome already known, or a parse running."""

    rel: str
    fields: Mapping[str, str]
    outcome: FileOutcome | None = None
    job: ParseJob | None = None
    future: Future[Prepared] | None = None


@dataclass
class _Run:
    """One ingestion run: parses go ahead (`LOOKAHEAD`), outcomes come back in file order."""

    store: DocumentStore
    source: str
    parser: _Parser
    after_file: AfterFile | None
    bar: Any
    rebuild: bool
    limits: Limits
    pending: list[_Pending] = field(default_factory=list)
    outcomes: list[FileOutcome] = field(default_factory=list)
    chunks: int = 0
    began: float = field(default_factory=time.monotonic)

    def start(self, path: Path, rel: str, fields: Mapping[str, str]) -> None:
        """Check a file and start its parse (unless it is unchanged or unreadable)."""
        item = _Pending(rel, fields)
        checked = time.monotonic()
        item.outcome, item.job = self._check(path, rel, fields)
        if item.outcome is not None:
            item.outcome = replace(item.outcome, seconds=round(time.monotonic() - checked, 3))
        if item.job is not None:
            item.future = self.parser.submit(item.job)
        self.pending.append(item)
        while sum(1 for p in self.pending if p.future is not None) > LOOKAHEAD:
            self._finish(self.pending.pop(0))

    def finish_all(self) -> list[FileOutcome]:
        """Wait for the remaining parses and return every outcome in file order."""
        while self.pending:
            self._finish(self.pending.pop(0))
        if self.bar is not None:
            self.bar.close()
        return self.outcomes

    def _check(self, path: Path, rel: str, fields: Mapping[str, str]
               ) -> tuple[FileOutcome | None, ParseJob | None]:
        try:
            size = path.stat().st_size
            if size > self.limits.max_file_mb * 1024 * 1024:
                reason = (f"file troppo grande ({size / 1048576:.0f} MB, limite "
                          f"{self.limits.max_file_mb} MB)")
                self.store.record_skipped(self.source, rel, "size:" + str(size), reason,
                                          build_meta(rel, fields, None))
                return FileOutcome(rel, "skipped", reason), None
            data = path.read_bytes()
        except OSError as exc:
            reason = f"file illeggibile ({exc.strerror or type(exc).__name__})"
            return FileOutcome(rel, "skipped", reason), None
        digest = sha256_of(data)
        stored = self.store.find_document(self.source, rel)
        if is_current(stored, digest, fields, rebuild=self.rebuild):
            assert stored is not None
            return FileOutcome(rel, "unchanged", stored.reason, chunks=stored.chunks,
                               pages=stored.pages), None
        return None, ParseJob(rel, path.name, data, digest, dict(fields), self.limits)

    def _finish(self, item: _Pending) -> None:
        outcome = item.outcome
        if outcome is None:
            assert item.job is not None and item.future is not None
            outcome = self._store(self.parser.result(item.future, item.job), item.fields)
        self.outcomes.append(outcome)
        if self.bar is not None:
            rate = self.chunks / max(time.monotonic() - self.began, 1e-9)
            self.bar.set_postfix_str(f"{self.chunks} chunk, {rate:.1f} chunk/s", refresh=False)
            self.bar.update(1)

    def _store(self, prepared: Prepared, fields: Mapping[str, str]) -> FileOutcome:
        """Store a parsed file (and embed it); its seconds: parse + store + embed, no waits."""
        rel, start = prepared.rel, time.monotonic()

        def took() -> float:
            return round(prepared.seconds + time.monotonic() - start, 3)

        if prepared.document is None:
            reason = prepared.reason or "file illeggibile"
            self.store.record_skipped(self.source, rel, prepared.digest, reason,
                                      build_meta(rel, fields, None))
            return FileOutcome(rel, "skipped", reason, seconds=took())
        self.store.replace_document(self.source, prepared.document, prepared.chunks)
        if self.after_file is not None:
            self.after_file(prepared.chunks)
        self.chunks += len(prepared.chunks)
        return FileOutcome(rel, "indexed", None, chunks=len(prepared.chunks),
                           pages=prepared.document.pages, seconds=took())
