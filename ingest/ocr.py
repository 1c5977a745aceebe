"""OCR of PDF pages without a text layer: pypdfium2 renders them, Tesseract reads them.

Tesseract (Debian `tesseract-ocr` + `tesseract-ocr-ita`) runs through pytesseract as a
subprocess of the caller; `ingest.sandbox` calls this inside its limited child process, so the
time and address-space limits of the parse apply to the OCR too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache

from ingest.errors import IngestError

OCR_LANGUAGES = "ita"
OCR_DPI = 300
PAGE_TIMEOUT_S = 90.0
INSTALL_HINT = "installare Tesseract: apt-get install tesseract-ocr tesseract-ocr-ita"
NO_READABLE_TEXT = "PDF senza testo (scansione): l'OCR non ha trovato testo leggibile"
OCR_NOTICE = "testo da OCR: verificare sull'originale"
PageSink = Callable[[int, str], None]
"""Told each page's raw OCR text as soon as it is read (0-based page, text)."""
_WORD = re.compile(r"[^\W\d_]{3,}")
MIN_WORDS = 5  # fewer words of 3+ letters on a page: noise, not text


@lru_cache(maxsize=4)
def ocr_available(languages: str = OCR_LANGUAGES) -> bool:
    """True when the tesseract binary and the data of every language in `languages` exist."""
    try:
        import pytesseract

        installed = set(pytesseract.get_languages(config=""))
    except (ImportError, OSError, RuntimeError) as exc:  # TesseractNotFoundError is an OSError
        del exc
        return False
    return all(lang in installed for lang in languages.split("+"))


@lru_cache(maxsize=1)
def engine_version() -> str:
    """'tesseract 5.3.0' (what reads the pages: a new one may read them otherwise)."""
    try:
        import pytesseract

        return f"tesseract {pytesseract.get_tesseract_version()}"
    except (ImportError, OSError, RuntimeError):
        return "tesseract ?"


def readable(text: str) -> bool:
    """True when OCR output holds words, not just scan noise."""
    return len(_WORD.findall(text)) >= MIN_WORDS


def ocr_pdf_pages(data: bytes, pages: Sequence[int], *, languages: str = OCR_LANGUAGES,
                  dpi: int = OCR_DPI, page_timeout_s: float = PAGE_TIMEOUT_S,
                  on_page: PageSink | None = None) -> dict[int, str]:
    """Text read by OCR from the given 0-based pages of a PDF (page index → raw text);
    `on_page` is told each page as soon as it is read."""
    import pypdfium2 as pdfium
    import pytesseract

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise IngestError(f"PDF illeggibile per l'OCR ({exc})") from exc
    out: dict[int, str] = {}
    try:
        for index in pages:
            page = pdf[index]
            try:
                image = page.render(scale=dpi / 72, grayscale=True).to_pil()
            finally:
                page.close()
            try:
                out[index] = pytesseract.image_to_string(image, lang=languages,
                                                         timeout=page_timeout_s)
            except RuntimeError as exc:  # pytesseract's timeout
                raise IngestError(f"tempo scaduto: OCR di una pagina oltre "
                                  f"{page_timeout_s:g} s") from exc
            except pytesseract.TesseractError as exc:
                raise IngestError(f"OCR non riuscito (Tesseract: {exc.message})") from exc
            if on_page is not None:
                on_page(index, out[index])
    finally:
        pdf.close()
    return out
