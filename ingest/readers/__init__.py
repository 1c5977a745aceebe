"""Format readers: bytes → `Parsed` (blocks with pages and heading levels)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ingest.errors import UnsupportedFormat
from ingest.models import Block
from ingest.ocr import OCR_LANGUAGES, PageSink


@dataclass(frozen=True)
class Parsed:
    """What a reader found: text blocks, page count and what the file says about itself."""

    blocks: tuple[Block, ...]
    pages: int | None = None
    title: str | None = None  # <title>, core properties, PDF info, front matter
    props: dict[str, str] = field(default_factory=dict)  # front matter, core properties
    ocr_pages: tuple[int, ...] = ()  # 1-based pages whose text was read by OCR


_READERS = {
    "markdown": ("ingest.readers.markdown", "read_markdown"),
    "rst": ("ingest.readers.markdown", "read_rst"),
    "text": ("ingest.readers.text", "read_plain"),
    "html": ("ingest.readers.html", "read_html"),
    "docx": ("ingest.readers.docx", "read_docx"),
    "nir-xml": ("ingest.readers.nir", "read_nir"),
    "pdf": ("ingest.readers.pdf", "extract_pdf"),
}


def read_bytes(data: bytes, fmt: str, *, ocr: str | None = OCR_LANGUAGES,
               ocr_known: Mapping[int, str] | None = None,
               on_page: PageSink | None = None) -> Parsed:
    """Parse `data` of a sniffed format in this process (see `ingest.sandbox` for isolation).

    `ocr`: Tesseract languages for PDF pages without a text layer (see `ingest.ocr`); None
    turns OCR off. `ocr_known`: pages already read in those languages (0-based page -> raw
    OCR text, `ingest.ocrcache`), not read again; `on_page` is told each page read now.
    """
    if fmt not in _READERS:
        raise UnsupportedFormat(f"formato non gestito: {fmt}")
    module, name = _READERS[fmt]
    reader: Callable[..., Parsed] = getattr(importlib.import_module(module), name)
    if fmt == "pdf":
        return reader(data, ocr=ocr, known=ocr_known, on_page=on_page)
    return reader(data)
