"""Incremental runs and bad files: nothing stops the run, nothing corrupts the store."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from fixtures.ingest.makers import (
    make_docx,
    make_flate_bomb_pdf,
    make_image_only_pdf,
    make_pdf,
    make_zip_bomb_docx,
)

from ingest.ocr import NO_READABLE_TEXT
from ingest.pipeline import Limits, ingest_file, ingest_path
from ingest.store import Store

REPO = Path(__file__).resolve().parents[1]

FIX = Path(__file__).parent / "fixtures" / "ingest"
LAW = ("# Regolamento\n\n### Art. 1 - Oggetto\n\n1. Il regolamento disciplina le unioni.\n\n"
       "2-bis. Le zone omogenee sono definite dal consiglio.\n")


def _folder(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    root.mkdir()
    (root / "regolamento.md").write_text(LAW, encoding="utf-8")
    (root / "cp1252.txt").write_bytes((FIX / "regolamento_cp1252.txt").read_bytes())
    (root / "piano.docx").write_bytes(make_docx([("Piano", "Title"), ("3 Servizi", "Heading 1"),
                                                 ("I servizi associati della città.", None)]))
    (root / "relazione.pdf").write_bytes(make_pdf([["Relazione della città metropolitana",
                                                    "1 Premessa", "Testo della premessa."]]))
    (root / "MANIFEST.tsv").write_text(
        "file\ttitle\tkind\tyear\ncp1252.txt\tRegolamento di prova\tregolamento\t2021\n",
        encoding="utf-8")
    (root / "README.md").write_text("# Questa cartella\n")
    (root / ".nascosto.md").write_text("# no\n")
    return root


def _statuses(report: object) -> dict[str, str]:
    return {o.file: o.status for o in report.outcomes}  # type: ignore[attr-defined]


def test_incremental_runs(tmp_path: Path) -> None:
    root = _folder(tmp_path)
    store = Store(tmp_path / "data" / "raccordo.db")
    first = ingest_path(root, store)
    assert _statuses(first) == dict.fromkeys(
        ["cp1252.txt", "piano.docx", "regolamento.md", "relazione.pdf"], "indexed")
    assert first.changed and not first.failed
    docs = {d.file: d for d in store.documents()}
    assert docs["cp1252.txt"].meta.title == "Regolamento di prova"
    assert docs["cp1252.txt"].meta.kind == "regulation"
    assert docs["relazione.pdf"].pages == 1
    text = " ".join(c.text for c in store.chunks(docs["cp1252.txt"].id))
    assert "città metropolitana" in text
    version = store.version()

    second = ingest_path(root, store)
    assert set(_statuses(second).values()) == {"unchanged"}
    assert not second.changed and store.version() == version
    assert "Nessuna modifica" in second.summary()
    total = sum(len(store.chunks(d.id)) for d in store.documents())
    assert f"0 chunk nuovi, {total} in tutto." in second.summary()  # unchanged are not new
    assert f"{total} chunk nuovi, {total} in tutto." in first.summary()

    (root / "regolamento.md").write_text(LAW.replace("le unioni", "le unioni di comuni"))
    (root / "relazione.pdf").unlink()
    third = ingest_path(root, store)
    assert _statuses(third) == {"cp1252.txt": "unchanged", "piano.docx": "unchanged",
                                "regolamento.md": "indexed", "relazione.pdf": "removed"}
    docs = {d.file: d for d in store.documents()}
    assert "relazione.pdf" not in docs
    chunks = store.chunks(docs["regolamento.md"].id)
    assert any("le unioni di comuni" in c.text for c in chunks)
    assert sum(1 for c in store.chunks() if c.doc_id == docs["regolamento.md"].id) == len(chunks)

    (root / "MANIFEST.tsv").write_text(
        "file\ttitle\tkind\tyear\ncp1252.txt\tRegolamento rinominato\tregolamento\t2021\n")
    fourth = ingest_path(root, store)
    assert _statuses(fourth)["cp1252.txt"] == "indexed"  # metadata changed

    rebuilt = ingest_path(root, store, rebuild=True)
    assert set(_statuses(rebuilt).values()) == {"indexed"}
    assert store.counts()["documents"] == 3


def test_a_new_chunking_re_chunks_unchanged_files(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import ingest.pipeline

    root = _folder(tmp_path)
    store = Store(tmp_path / "raccordo.db")
    ingest_path(root, store)
    assert set(_statuses(ingest_path(root, store)).values()) == {"unchanged"}
    # a release whose chunker cuts differently: files that did not change are cut again
    monkeypatch.setattr(ingest.pipeline, "CHUNKING_VERSION", "test-next")
    assert set(_statuses(ingest_path(root, store)).values()) == {"indexed"}
    assert store.meta_value(f"chunking:{root.resolve()}") == "test-next"
    assert set(_statuses(ingest_path(root, store)).values()) == {"unchanged"}


def test_single_file_and_upload_overrides(tmp_path: Path) -> None:
    root = _folder(tmp_path)
    store = Store(tmp_path / "raccordo.db")
    report = ingest_path(root / "regolamento.md", store)
    assert _statuses(report) == {"regolamento.md": "indexed"}
    outcome = ingest_file(root / "piano.docx", store, source="uploads", file="42/piano.docx",
                          meta={"city": "Bari", "contributor": "tg:7", "title": "Piano Bari"})
    assert outcome.status == "indexed" and outcome.chunks >= 1
    doc = store.find_document("uploads", "42/piano.docx")
    assert doc is not None
    assert (doc.meta.city, doc.meta.contributor, doc.meta.title) == ("Bari", "tg:7", "Piano Bari")


BAD_FILES = {
    "vuoto.pdf": (b"", "file vuoto"),
    "spazzatura.pdf": (bytes(range(256)) * 64, "formato non riconosciuto"),
    "zip.docx": (b"PK\x03\x04" + b"\x00" * 100, "ZIP"),
}


def _bad_folder(tmp_path: Path) -> Path:
    root = tmp_path / "bad"
    root.mkdir()
    for name, (data, _) in BAD_FILES.items():
        (root / name).write_bytes(data)
    good = make_pdf([["Documento valido con testo a sufficienza per essere letto."]])
    (root / "cifrato.pdf").write_bytes(make_pdf([["Testo segreto della città."]],
                                                password="segreta"))
    (root / "troncato.pdf").write_bytes(good[: len(good) // 2])
    (root / "scansione.pdf").write_bytes(make_image_only_pdf())
    (root / "bomba.pdf").write_bytes(make_flate_bomb_pdf(100))
    (root / "bomba.docx").write_bytes(make_zip_bomb_docx(400))
    (root / "pagina.pdf").write_bytes(b"<html><body><h1>Pagina</h1><p>Una pagina web rinominata"
                                      b" come PDF.</p></body></html>")
    (root / "buono.pdf").write_bytes(good)
    return root


def test_bad_files_are_skipped_with_reasons(tmp_path: Path) -> None:
    root = _bad_folder(tmp_path)
    store = Store(tmp_path / "raccordo.db")
    report = ingest_path(root, store)
    out = {o.file: o for o in report.outcomes}
    assert report.failed
    assert out["buono.pdf"].status == "indexed"
    assert out["pagina.pdf"].status == "indexed"  # sniffed as HTML
    for name, (_, reason) in BAD_FILES.items():
        assert out[name].status == "skipped" and reason in (out[name].reason or ""), name
    assert "cifrato" in (out["cifrato.pdf"].reason or "")
    assert "troncato" in (out["troncato.pdf"].reason or "")
    assert out["scansione.pdf"].reason == NO_READABLE_TEXT  # drawn shapes: OCR reads nothing
    assert "bomba" in (out["bomba.pdf"].reason or "")
    assert "zip bomb" in (out["bomba.docx"].reason or "")
    listed = {d.file: d for d in store.documents()}
    assert listed["scansione.pdf"].status == "skipped"
    assert listed["scansione.pdf"].to_json()["reason"] == out["scansione.pdf"].reason
    assert "scartato" in report.summary() and NO_READABLE_TEXT in report.summary()
    again = ingest_path(root, store)
    assert not again.failed and again.count("unchanged") == len(out)
    assert {o.file: o.reason for o in again.outcomes}["scansione.pdf"] == \
        out["scansione.pdf"].reason


def test_time_memory_and_size_limits(tmp_path: Path) -> None:
    root = tmp_path / "limits"
    root.mkdir()
    (root / "a.pdf").write_bytes(make_pdf([["Un documento qualsiasi con del testo utile."]]))
    store = Store(tmp_path / "raccordo.db")
    slow = ingest_path(root, store, limits=Limits(timeout_s=0.0001))
    assert "tempo scaduto" in (slow.outcomes[0].reason or "")
    (root / "bomba.pdf").write_bytes(make_flate_bomb_pdf(100))
    # The memory limit is counted from the parser's parent: a fresh interpreter, so that free
    # heap left by earlier tests in this process cannot absorb the bomb (deterministic).
    script = ("import json, sys; from pathlib import Path; sys.path.insert(0, sys.argv[3]);"
              "from ingest.pipeline import Limits, ingest_path; from ingest.store import Store;"
              "r = ingest_path(Path(sys.argv[1]), Store(Path(sys.argv[2])),"
              " limits=Limits(memory_mb=8));"
              "print(json.dumps({o.file: [o.status, o.reason] for o in r.outcomes}))")
    store.close()
    done = subprocess.run([sys.executable, "-c", script, str(root), str(tmp_path / "raccordo.db"),
                           str(REPO)], capture_output=True, text=True, timeout=300, check=True)
    starved = json.loads(done.stdout.strip().splitlines()[-1])
    assert starved["a.pdf"][0] == "indexed"  # the timeout is not sticky
    assert starved["bomba.pdf"][0] == "skipped"
    assert "limite di memoria" in (starved["bomba.pdf"][1] or "")
    store = Store(tmp_path / "raccordo.db")
    (root / "bomba.pdf").unlink()
    (root / "b.txt").write_bytes(b"x" * (2 * 1024 * 1024))
    big = ingest_path(root, store, limits=Limits(max_file_mb=1))
    assert {o.file: o.status for o in big.outcomes} == {
        "a.pdf": "unchanged", "b.txt": "skipped", "bomba.pdf": "removed"}
    assert "troppo grande" in (big.outcomes[1].reason or "")
    ok = sqlite3.connect(tmp_path / "raccordo.db").execute("PRAGMA integrity_check").fetchone()
    assert ok == ("ok",)


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    from ingest.errors import IngestError

    with pytest.raises(IngestError):
        ingest_path(tmp_path / "nope", Store(tmp_path / "r.db"))


def test_an_internal_error_on_one_file_does_not_stop_the_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ingest.prepare as prepare

    real = prepare.parse_units

    def fragile(blocks, fmt):  # type: ignore[no-untyped-def]
        if any("GUASTO" in b.text for b in blocks):
            raise RuntimeError("bug simulato")
        return real(blocks, fmt)

    monkeypatch.setattr(prepare, "parse_units", fragile)
    root = tmp_path / "docs"
    root.mkdir()
    (root / "a.md").write_text("# A\n\nTesto GUASTO.\n")
    (root / "b.md").write_text("# B\n\nTesto sano.\n")
    report = ingest_path(root, Store(tmp_path / "r.db"))
    out = {o.file: o for o in report.outcomes}
    assert out["b.md"].status == "indexed"
    assert out["a.md"].status == "skipped"
    assert "errore interno" in (out["a.md"].reason or "")
