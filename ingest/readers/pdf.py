"""PDF reader (pypdf, page-aware): one block per extracted line, with its page number.

Run it through `ingest.sandbox.parse_isolated` (child process, time and memory limits).
"""

from __future__ import annotations

import io
import logging
import re
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING

from ingest.errors import IngestError, NeedsOCR
from ingest.glyphs import collapse_doubled_glyphs
from ingest.models import Block
from ingest.ocr import (
    INSTALL_HINT,
    NO_READABLE_TEXT,
    OCR_LANGUAGES,
    PageSink,
    ocr_available,
    ocr_pdf_pages,
    readable,
)
from ingest.readers import Parsed
from ingest.textio import normalise_text

if TYPE_CHECKING:
    from pypdf import PageObject, PdfReader

MIN_CHARS_PER_PAGE = 10  # below this a page has no text layer; on average, the PDF is a scan
NEEDS_OCR = "PDF senza testo (scansione): needs OCR"
NEEDS_PASSWORD = "PDF cifrato con password di apertura: serve la password per leggerlo"
NEEDS_CRYPTO = "PDF cifrato con AES: manca il pacchetto cryptography (installare pypdf[crypto])"


def _open_encrypted(reader: PdfReader) -> None:
    """Decrypt a PDF protected only by permissions (empty user password), common in the PA."""
    from pypdf import PasswordType

    if not reader.is_encrypted:
        return
    try:
        opened = reader.decrypt("")
    except NotImplementedError as exc:
        raise IngestError(f"PDF cifrato con un metodo non supportato ({exc})") from exc
    if opened == PasswordType.NOT_DECRYPTED:
        raise IngestError(NEEDS_PASSWORD)


def _pdf_text_pages(data: bytes) -> tuple[list[str], str | None]:
    import pypdf
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError, PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    if b"%%EOF" not in data[-4096:]:
        raise IngestError("PDF troncato o danneggiato (manca la fine del file)")
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        _open_encrypted(reader)
        pages = [_page_text(page) for page in reader.pages]
        for page, text in zip(reader.pages, pages, strict=True):
            if not text.strip():  # extract_text swallows decoding limits: probe the content
                contents = page.get_contents()
                if contents is not None:
                    contents.get_data()
        meta = reader.metadata
        title = str(meta.title) if meta is not None and meta.title else None
    except FileNotDecryptedError as exc:
        raise IngestError(NEEDS_PASSWORD) from exc
    except DependencyError as exc:  # AES without `cryptography`: pypdf[crypto] is declared
        raise IngestError(NEEDS_CRYPTO) from exc
    except PyPdfError as exc:
        if type(exc).__name__ == "LimitReachedError":
            raise IngestError("PDF con flusso compresso abnorme (possibile bomba di "
                              "decompressione)") from exc
        if isinstance(exc, PdfReadError):
            raise IngestError(f"PDF danneggiato o troncato ({type(exc).__name__})") from exc
        raise IngestError(f"PDF illeggibile ({type(exc).__name__})") from exc
    except (ValueError, KeyError, TypeError, AttributeError, IndexError, AssertionError,
            RecursionError, OSError, ZeroDivisionError) as exc:
        raise IngestError(f"PDF danneggiato ({type(exc).__name__})") from exc
    return pages, title


def _page_text(page: PageObject) -> str:
    text = normalise_text(page.extract_text() or "")
    return collapse_doubled_glyphs(text)  # fake-bold glyphs drawn twice



def _chars(text: str) -> int:
    return len("".join(text.split()))


def _with_ocr(data: bytes, pages: list[str], ocr: str | None, known: Mapping[int, str],
              on_page: PageSink | None = None) -> tuple[list[str], tuple[int, ...]]:
    """Pages without a text layer read by OCR (when enabled and installed; pages in `known`
    are not read again, `on_page` is told each page read now): the pages, the OCR'd ones."""
    scan = sum(_chars(p) for p in pages) < MIN_CHARS_PER_PAGE * len(pages)
    empty = [i for i, text in enumerate(pages) if _chars(text) < MIN_CHARS_PER_PAGE]
    if not empty:
        return pages, ()
    if not ocr:
        if scan:
            raise NeedsOCR(NEEDS_OCR)
        return pages, ()
    raw = {i: known[i] for i in empty if i in known}
    todo = [i for i in empty if i not in raw]
    if todo and not ocr_available(ocr):
        if scan:
            raise NeedsOCR(f"{NEEDS_OCR} ({INSTALL_HINT})")
        return pages, ()
    raw.update(ocr_pdf_pages(data, todo, languages=ocr, on_page=on_page) if todo else {})
    read = {i: normalise_text(t) for i, t in raw.items() if readable(t)}
    if scan and not read:
        raise IngestError(NO_READABLE_TEXT)
    return [read.get(i, text) for i, text in enumerate(pages)], tuple(i + 1 for i in sorted(read))


def extract_pdf(data: bytes, *, ocr: str | None = OCR_LANGUAGES,
                known: Mapping[int, str] | None = None, on_page: PageSink | None = None
                ) -> Parsed:
    """Extract page-numbered lines from a PDF in this process (raises IngestError).

    Pages without a text layer are read by Tesseract in the `ocr` languages when it is
    installed (None: no OCR), except those whose OCR output `known` holds (0-based page ->
    raw text, read before in the same languages); pages with a text layer are never re-read.
    `on_page` is told each page's OCR text as soon as it is read.
    """
    pages, title = _pdf_text_pages(data)
    if not pages:
        raise IngestError("PDF senza pagine")
    pages, ocr_pages = _with_ocr(data, pages, ocr, known or {}, on_page)
    page_lines = [[ln.rstrip() for ln in text.split("\n") if ln.strip()] for text in pages]
    furniture = running_lines(page_lines)
    blocks = [Block(line, page=n)
              for n, lines in enumerate(page_lines, start=1)
              for i, line in enumerate(lines)
              if not _is_furniture(line, i, len(lines), furniture)]
    return Parsed(blocks=tuple(blocks), pages=len(pages), title=_clean_title(title),
                  ocr_pages=ocr_pages)


_EDGE = 3  # running headers/footers sit among the first or last lines of a page


def _shape(line: str) -> str:
    return re.sub(r"\d+", "#", " ".join(line.split())).lower()


def running_lines(page_lines: list[list[str]]) -> set[str]:
    """Shapes of lines repeated at the top or bottom of a third of the pages (min 3)."""
    if len(page_lines) < 3:
        return set()
    counts: Counter[str] = Counter()
    for lines in page_lines:
        edge = lines[:_EDGE] + lines[-_EDGE:]
        counts.update({_shape(line) for line in edge})
    return {shape for shape, n in counts.items() if n >= max(3, len(page_lines) // 3)}


def _is_furniture(line: str, index: int, total: int, furniture: set[str]) -> bool:
    at_edge = index < _EDGE or index >= total - _EDGE
    return at_edge and _shape(line) in furniture


def _clean_title(title: str | None) -> str | None:
    if not title:
        return None
    title = title.strip()
    for prefix in ("Microsoft Word - ", "Microsoft PowerPoint - "):
        if title.startswith(prefix):
            title = title[len(prefix):].rsplit(".", 1)[0]
    return title if len(title) >= 8 else None
