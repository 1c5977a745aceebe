"""PDF reader (pypdf, page-aware): one block per extracted line, with its page number.

Run it through `ingest.sandbox.parse_isolated` (child process, time and memory limits).
"""

from __future__ import annotations

import io
import logging

from ingest.errors import IngestError, NeedsOCR
from ingest.models import Block
from ingest.readers import Parsed
from ingest.textio import normalise_text

MIN_CHARS_PER_PAGE = 10  # below this average the PDF is a scan without a text layer
NEEDS_OCR = "PDF senza testo (scansione): needs OCR"


def _pdf_text_pages(data: bytes) -> tuple[list[str], str | None]:
    import pypdf
    from pypdf.errors import FileNotDecryptedError, PdfReadError, PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    if b"%%EOF" not in data[-4096:]:
        raise IngestError("PDF troncato o danneggiato (manca la fine del file)")
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except (PyPdfError, NotImplementedError, ValueError) as exc:
                raise IngestError("PDF cifrato (protetto da password)") from exc
            if not ok:
                raise IngestError("PDF cifrato (protetto da password)")
        pages = [normalise_text(page.extract_text() or "") for page in reader.pages]
        for page, text in zip(reader.pages, pages, strict=True):
            if not text.strip():  # extract_text swallows decoding limits: probe the content
                contents = page.get_contents()
                if contents is not None:
                    contents.get_data()
        meta = reader.metadata
        title = str(meta.title) if meta is not None and meta.title else None
    except FileNotDecryptedError as exc:
        raise IngestError("PDF cifrato (protetto da password)") from exc
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


def extract_pdf(data: bytes) -> Parsed:
    """Extract page-numbered lines from a PDF in this process (raises IngestError)."""
    pages, title = _pdf_text_pages(data)
    chars = sum(len("".join(p.split())) for p in pages)
    if not pages:
        raise IngestError("PDF senza pagine")
    if chars < MIN_CHARS_PER_PAGE * len(pages):
        raise NeedsOCR(NEEDS_OCR)
    blocks = [Block(line.rstrip(), page=n)
              for n, text in enumerate(pages, start=1)
              for line in text.split("\n") if line.strip()]
    return Parsed(blocks=tuple(blocks), pages=len(pages), title=_clean_title(title))


def _clean_title(title: str | None) -> str | None:
    if not title:
        return None
    title = title.strip()
    for prefix in ("Microsoft Word - ", "Microsoft PowerPoint - "):
        if title.startswith(prefix):
            title = title[len(prefix):].rsplit(".", 1)[0]
    return title if len(title) >= 8 else None
