"""Parsing in a worker process while the caller works on parsed files: same store, same order,
bad files and even a dead worker never stop the run."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from fixtures.ingest.makers import make_docx, make_pdf

import ingest.prepare as prepare
from ingest.models import Chunk
from ingest.pipeline import CRASHED, ingest_path
from ingest.prepare import parse_worker
from ingest.store import Store

LAW = ("# Regolamento {n}\n\n### Art. 1 - Oggetto\n\n1. Il regolamento {n} disciplina le unioni."
       "\n\n2. Le zone omogenee sono definite dal consiglio.\n")


def _folder(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    root.mkdir()
    for n in range(5):
        (root / f"reg_{n}.md").write_text(LAW.format(n=n), encoding="utf-8")
    (root / "piano.docx").write_bytes(make_docx([("Piano", "Title"),
                                                 ("I servizi associati della città.", None)]))
    (root / "relazione.pdf").write_bytes(make_pdf([["Relazione", "Testo della premessa."]]))
    (root / "rotto.pdf").write_bytes(b"%PDF-1.7\n questo non e' un PDF")
    return root


def _chunks(store: Store) -> list[tuple[str, str]]:
    docs = {d.id: d.file for d in store.documents()}
    return sorted((docs[c.doc_id], c.indexed_text()) for c in store.chunks())


def test_worker_process_gives_the_same_store_as_in_process(tmp_path: Path) -> None:
    """Spawned worker vs in-process: same outcomes, same chunks; `after_file` sees every
    indexed file's chunks, in file order."""
    root = _folder(tmp_path)
    inline = Store(tmp_path / "inline.db")
    expected = ingest_path(root, inline)
    seen: list[Sequence[Chunk]] = []
    with parse_worker() as pool:
        store = Store(tmp_path / "worker.db")
        report = ingest_path(root, store, executor=pool, after_file=seen.append)
    assert [(o.file, o.status, o.reason, o.chunks) for o in report.outcomes] == [
        (o.file, o.status, o.reason, o.chunks) for o in expected.outcomes]
    assert {o.file: o.status for o in report.outcomes}["rotto.pdf"] == "skipped"
    assert _chunks(store) == _chunks(inline)
    indexed = [o for o in report.outcomes if o.status == "indexed"]
    assert [len(c) for c in seen] == [o.chunks for o in indexed]


def test_a_dead_worker_skips_its_file_and_the_run_goes_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker dies on one file: that file is skipped (and retried next run), the files
    after it are parsed in-process, nothing is lost."""
    real = prepare.parse_units

    def deadly(blocks, fmt):  # type: ignore[no-untyped-def]
        if os.getpid() != parent and any("reg_2 " in b.text or "regolamento 2 " in b.text
                                         for b in blocks):
            os._exit(3)  # the worker process dies on this file
        return real(blocks, fmt)

    parent = os.getpid()
    monkeypatch.setattr(prepare, "parse_units", deadly)  # forked worker inherits the patch
    root = _folder(tmp_path)
    store = Store(tmp_path / "r.db")
    fork = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=1, mp_context=fork) as pool:
        report = ingest_path(root, store, executor=pool)
    out = {o.file: o for o in report.outcomes}
    assert out["reg_2.md"].status == "skipped" and out["reg_2.md"].reason == CRASHED
    assert all(out[f"reg_{n}.md"].status == "indexed" for n in (0, 1, 3, 4))
    assert out["piano.docx"].status == out["relazione.pdf"].status == "indexed"
    again = ingest_path(root, store)  # in-process now: the crash was transient, try again
    assert {o.file: o.status for o in again.outcomes}["reg_2.md"] == "indexed"


def test_chunks_embedded_during_ingest_are_not_embedded_again(tmp_path: Path) -> None:
    """`CacheFiller` as `after_file`: the index build then finds every vector in the cache."""
    from index.builder import CacheFiller, build_index
    from tests.index_kit import HashEmbedder

    root = _folder(tmp_path)
    store = Store(tmp_path / "r.db")
    embedder = HashEmbedder()
    with (parse_worker() as pool,
          CacheFiller(embedder, tmp_path / "cache") as filler):
        ingest_path(root, store, executor=pool, after_file=filler)
    total = len(store.chunks())
    assert filler.stats.embedded == total == embedder.calls
    info = build_index(store, embedder, tmp_path / "index", tmp_path / "cache")
    assert info is not None and (info.embedded, info.cached) == (0, total)
    assert embedder.calls == total
