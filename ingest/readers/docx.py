"""DOCX reader (python-docx): paragraphs and tables in order, headings by style."""

from __future__ import annotations

import io
import re
import zipfile

from ingest.errors import IngestError
from ingest.models import Block
from ingest.readers import Parsed
from ingest.textio import normalise_text

MAX_UNZIPPED = 300 * 1024 * 1024
MAX_RATIO = 200
_HEADING = re.compile(r"^(?:heading|titolo|intestazione)\s*(\d)$", re.I)


def check_zip(data: bytes) -> None:
    """Refuse zip bombs: too much uncompressed data or an absurd compression ratio."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        total = sum(i.file_size for i in zf.infolist())
        packed = sum(i.compress_size for i in zf.infolist()) or 1
    if total > MAX_UNZIPPED or (total > 20 * 1024 * 1024 and total / packed > MAX_RATIO):
        raise IngestError("archivio compresso abnorme (possibile zip bomb)")


def _level(style_name: str) -> int | None:
    name = style_name.strip()
    if name.lower() == "title":
        return 1
    match = _HEADING.match(name)
    return min(6, int(match.group(1))) if match else None


def read_docx(data: bytes) -> Parsed:
    """Read a .docx file: heading styles give heading levels, table rows become blocks."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    check_zip(data)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises a variety of errors on damaged files
        raise IngestError(f"DOCX illeggibile: {type(exc).__name__}") from exc
    blocks: list[Block] = []
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            text = normalise_text(item.text).strip()
            if text:
                style = item.style.name if item.style is not None else ""
                blocks.append(Block(text, heading_level=_level(style or "")))
        elif isinstance(item, Table):
            for row in item.rows:
                cells: list[str] = []
                for cell in row.cells:
                    value = normalise_text(cell.text).strip()
                    if value and (not cells or cells[-1] != value):
                        cells.append(value)
                if cells:
                    blocks.append(Block(" | ".join(cells)))
    title = (document.core_properties.title or "").strip() or None
    props = {"author": document.core_properties.author or ""}
    return Parsed(blocks=tuple(blocks), title=title, props=props)
