"""OCR of scanned PDF pages (Tesseract in the sandboxed child) and what the store records."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

import pytest
from fixtures.ingest.makers import join_pdfs, make_pdf, make_scanned_pdf

from ingest.errors import NeedsOCR
from ingest.ocr import INSTALL_HINT, OCR_NOTICE, ocr_available
from ingest.ocrcache import OcrCache, ocr_setting
from ingest.pipeline import Limits, ingest_path
from ingest.readers.pdf import NEEDS_OCR
from ingest.sandbox import parse_isolated
from ingest.store import Store

pytestmark = pytest.mark.skipif(not ocr_available(), reason="Tesseract (ita) non installato")

SLOW = Limits(timeout_s=300)
UNINSTALLED = Limits(timeout_s=300, ocr="zzz")  # no such traineddata: as if not installed
LINES = ["Art. 1 - Oggetto",
         "1. Il presente regolamento disciplina il servizio di trasporto scolastico",
         "comunale per gli alunni residenti nel territorio metropolitano.",
         "2. Le tariffe sono deliberate dalla giunta entro il mese di marzo."]


def test_an_image_only_page_is_read_by_ocr() -> None:
    parsed = parse_isolated(make_scanned_pdf([LINES]), "pdf", timeout_s=300)
    text = " ".join(b.text for b in parsed.blocks)
    assert parsed.ocr_pages == (1,) and parsed.pages == 1
    assert "trasporto scolastico" in text and "giunta" in text
    assert all(b.page == 1 for b in parsed.blocks)


def test_pages_with_a_text_layer_are_not_re_read() -> None:
    mixed = join_pdfs(make_pdf([["Premessa del regolamento sul trasporto scolastico comunale."]]),
                      make_scanned_pdf([LINES]))
    parsed = parse_isolated(mixed, "pdf", timeout_s=300)
    assert parsed.ocr_pages == (2,)
    assert [b.text for b in parsed.blocks if b.page == 1] == \
        ["Premessa del regolamento sul trasporto scolastico comunale."]
    assert any("tariffe" in b.text for b in parsed.blocks if b.page == 2)


def test_without_ocr_or_without_the_language_data_the_scan_needs_ocr() -> None:
    scan = make_scanned_pdf([LINES])
    with pytest.raises(NeedsOCR, match="needs OCR") as off:
        parse_isolated(scan, "pdf", ocr=None)
    assert str(off.value) == NEEDS_OCR
    with pytest.raises(NeedsOCR, match="needs OCR") as missing:
        parse_isolated(scan, "pdf", ocr="zzz")  # no such traineddata: as if not installed
    assert INSTALL_HINT in str(missing.value)


def test_ocr_pages_reach_the_store_and_the_chunks(tmp_path: Path) -> None:
    root = tmp_path / "docs"
    root.mkdir()
    (root / "regolamento.pdf").write_bytes(
        join_pdfs(make_pdf([["Regolamento del trasporto scolastico: premessa."]]),
                  make_scanned_pdf([LINES])))
    store = Store(tmp_path / "raccordo.db")
    report = ingest_path(root, store, limits=SLOW)
    assert report.count("indexed") == 1
    doc = store.documents()[0]
    assert doc.ocr and doc.ocr_pages == (2,)
    assert doc.to_json()["ocr"] is True and doc.to_json()["ocr_pages"] == [2]
    chunks = store.chunks(doc.id)
    read = [c for c in chunks if "tariffe" in c.text]
    assert read and all(c.ocr for c in read)
    assert OCR_NOTICE == "testo da OCR: verificare sull'originale"


def test_a_scan_skipped_for_want_of_ocr_is_read_once_tesseract_is_there(tmp_path: Path
                                                                          ) -> None:
    root = tmp_path / "docs"
    root.mkdir()
    (root / "scansione.pdf").write_bytes(make_scanned_pdf([LINES]))
    store = Store(tmp_path / "raccordo.db")
    first = ingest_path(root, store, limits=UNINSTALLED)  # as if not installed
    assert first.count("skipped") == 1 and INSTALL_HINT in (first.outcomes[0].reason or "")
    again = ingest_path(root, store, limits=UNINSTALLED)  # tried again, not "unchanged"
    assert again.count("skipped") == 1 and again.count("unchanged") == 0
    installed = ingest_path(root, store, limits=SLOW)
    assert installed.count("indexed") == 1
    assert any("tariffe" in c.text for c in store.chunks(store.documents()[0].id))
    assert ingest_path(root, store, limits=SLOW).count("unchanged") == 1


@pytest.mark.slow
@pytest.mark.shared
def test_the_shared_scan_is_indexed_and_found(shared_service: object) -> None:
    from bot.app.service import Raccordo

    assert isinstance(shared_service, Raccordo)
    scan = "SIGEO_dichiarazione_condivisione_confini_SCANSIONE.pdf"
    doc = next(d for d in shared_service.store.documents() if d.file == scan)
    assert doc.status == "indexed" and doc.ocr_pages == (1, 2)
    hits = shared_service.search("dichiarazione di condivisione dei confini territoriali e "
                                 "accettazione delle condizioni d'uso", k=5)
    found = [h for h in hits if h.document.file == scan]
    assert found and all(h.ocr for h in found)
    hits = shared_service.search("il processo di concertazione potrà essere svolto da un unico "
                                 "utente per ciascun comune", k=5)
    assert any(h.document.file == scan for h in hits)


def test_a_page_read_once_is_not_read_again(tmp_path: Path) -> None:
    root = tmp_path / "docs"
    root.mkdir()
    second = [line.replace("scolastico", "urbano") for line in LINES]
    scan = make_scanned_pdf([LINES, second])
    (root / "scansione.pdf").write_bytes(scan)
    store = Store(tmp_path / "raccordo.db")
    limits = Limits(timeout_s=300, ocr_cache=tmp_path / "ocr")
    assert ingest_path(root, store, limits=limits).count("indexed") == 1
    cache = OcrCache(tmp_path / "ocr")
    digest = hashlib.sha256(scan).hexdigest()
    read = cache.pages(digest, ocr_setting("ita"))
    assert sorted(read) == [0, 1] and "tariffe" in read[0] and "urbano" in read[1]
    # the cache answers for page 1 (marked, to see it used); page 2 is forgotten
    (tmp_path / "ocr" / f"{digest}.json").unlink()
    cache.keep(digest, ocr_setting("ita"), {0: read[0].replace("tariffe", "tariffe MARCATE")})
    again = ingest_path(root, store, limits=limits, rebuild=True)
    assert again.count("indexed") == 1
    text = " ".join(c.text for c in store.chunks(store.documents()[0].id))
    assert "tariffe MARCATE" in text  # page 1 came from the cache, not from Tesseract
    assert "urbano" in text  # page 2 was read by OCR again, and kept
    assert sorted(cache.pages(digest, ocr_setting("ita"))) == [0, 1]
    assert cache.pages(digest, ocr_setting("ita+eng")) == {}  # another setting reads anew


def test_the_service_keeps_ocr_output_in_its_cache_folder(tmp_path: Path) -> None:
    from bot.app.service import Raccordo
    from tests.conftest import make_settings

    root = tmp_path / "docs"
    root.mkdir()
    scan = make_scanned_pdf([[*LINES, f"Protocollo {uuid.uuid4().hex}"]])  # bytes never seen
    (root / "scansione.pdf").write_bytes(scan)
    service = Raccordo(make_settings(tmp_path / "data"))  # the cache folder is shared
    try:
        assert service.ingest(root).count("indexed") == 1
        digest = hashlib.sha256(scan).hexdigest()
        kept = OcrCache(service.settings.ocr_cache_dir).pages(digest, ocr_setting("ita"))
        assert list(kept) == [0] and "tariffe" in kept[0]
        (service.settings.ocr_cache_dir / f"{digest}.json").unlink()  # the folder is shared
    finally:
        service.close()


def test_a_scan_out_of_time_keeps_its_pages_and_the_next_run_resumes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    import ingest.readers.pdf as pdf_reader

    def first_page_then_stuck(data: bytes, pages: list[int], **options: object) -> dict:
        on_page = options["on_page"]
        assert callable(on_page)
        on_page(pages[0], "Pagina letta prima dello stop: tariffe deliberate dalla giunta.")
        time.sleep(600)  # the second page never ends: the parse runs out of time
        return {}

    root = tmp_path / "docs"
    root.mkdir()
    second = [line.replace("scolastico", "urbano") for line in LINES]
    (root / "scansione.pdf").write_bytes(make_scanned_pdf([LINES, second]))
    store = Store(tmp_path / "raccordo.db")
    with monkeypatch.context() as patched:
        patched.setattr(pdf_reader, "ocr_pdf_pages", first_page_then_stuck)  # the forked child's
        stopped = ingest_path(root, store, limits=Limits(timeout_s=10, ocr_cache=tmp_path / "ocr"))
    [outcome] = stopped.outcomes
    assert outcome.status == "skipped" and "tempo scaduto" in (outcome.reason or "")
    assert "(OCR conservato per 1 pagina: la prossima acquisizione riprende da lì)" in (
        outcome.reason or "")
    resumed = ingest_path(root, store, limits=Limits(timeout_s=300, ocr_cache=tmp_path / "ocr"))
    assert resumed.count("indexed") == 1  # tried again (a time-out is not final), not re-read
    text = " ".join(c.text for c in store.chunks(store.documents()[0].id))
    assert "Pagina letta prima dello stop" in text and "urbano" in text


def test_only_a_run_stopped_by_a_limit_promises_to_resume(tmp_path: Path) -> None:
    root = tmp_path / "docs"
    root.mkdir()
    (root / "rumore.pdf").write_bytes(make_scanned_pdf([["12 34 56 78", "90 12"]]))
    store = Store(tmp_path / "raccordo.db")
    limits = Limits(timeout_s=300, ocr_cache=tmp_path / "ocr")
    [outcome] = ingest_path(root, store, limits=limits).outcomes
    assert outcome.status == "skipped" and outcome.reason is not None
    assert "l'OCR non ha trovato testo leggibile" in outcome.reason
    assert "riprende" not in outcome.reason  # not a limit: nothing to resume
    assert ingest_path(root, store, limits=limits).count("unchanged") == 1  # and not retried
