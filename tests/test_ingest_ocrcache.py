"""The OCR cache on its own: what it keeps, what it ignores, and that it never fails a run."""

from __future__ import annotations

from pathlib import Path

from ingest.ocrcache import OcrCache, ocr_setting

DIGEST = "ab" * 32


def test_pages_are_kept_by_pdf_and_setting(tmp_path: Path) -> None:
    cache = OcrCache(tmp_path / "ocr")
    assert cache.pages(DIGEST, "ita@300dpi tesseract 5") == {}  # nothing yet, no folder
    cache.keep(DIGEST, "ita@300dpi tesseract 5", {0: "Art. 1", 2: "Art. 3"})
    cache.keep(DIGEST, "ita@300dpi tesseract 5", {1: "Art. 2"})  # added, not replaced
    cache.keep(DIGEST, "ita@300dpi tesseract 6", {0: "Articolo 1"})
    assert cache.pages(DIGEST, "ita@300dpi tesseract 5") == {0: "Art. 1", 1: "Art. 2",
                                                               2: "Art. 3"}
    assert cache.pages(DIGEST, "ita@300dpi tesseract 6") == {0: "Articolo 1"}
    assert cache.pages("cd" * 32, "ita@300dpi tesseract 5") == {}
    assert [p.name for p in (tmp_path / "ocr").iterdir()] == [f"{DIGEST}.json"]  # no leftovers


def test_the_setting_names_languages_resolution_and_engine() -> None:
    assert ocr_setting("ita").startswith("ita@300dpi tesseract ")
    assert ocr_setting("ita+eng", 200).startswith("ita+eng@200dpi ")


def test_a_corrupt_entry_is_read_as_absent_and_replaced(tmp_path: Path) -> None:
    cache = OcrCache(tmp_path)
    (tmp_path / f"{DIGEST}.json").write_text("{non è json", encoding="utf-8")
    assert cache.pages(DIGEST, "s") == {}
    cache.keep(DIGEST, "s", {0: "testo"})
    assert cache.pages(DIGEST, "s") == {0: "testo"}
    (tmp_path / f"{DIGEST}.json").write_text('{"s": {"x": 1, "3": 5, "4": "ok"}}',
                                             encoding="utf-8")
    assert cache.pages(DIGEST, "s") == {4: "ok"}  # what is not a page's text is skipped


def test_a_cache_that_cannot_be_written_costs_time_not_the_run(tmp_path: Path) -> None:
    blocked = tmp_path / "un-file"
    blocked.write_text("x", encoding="utf-8")
    cache = OcrCache(blocked / "ocr")  # under a file: no folder can be made there
    cache.keep(DIGEST, "s", {0: "testo"})  # logged, not raised
    assert cache.pages(DIGEST, "s") == {}


def test_only_a_sha256_names_an_entry(tmp_path: Path) -> None:
    cache = OcrCache(tmp_path / "ocr")
    for name in ("../../fuori", DIGEST.upper(), "ab"):
        cache.keep(name, "s", {0: "testo"})
        assert cache.pages(name, "s") == {}
    assert not (tmp_path / "ocr").exists() and not (tmp_path / "fuori.json").exists()
