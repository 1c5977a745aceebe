"""Plain text reader: paragraphs separated by blank lines, kept verbatim."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ingest.models import Block
from ingest.readers import Parsed
from ingest.textio import read_text


def paragraphs(lines: Iterable[str]) -> Iterator[str]:
    """Group lines into paragraphs at blank lines (right-stripped, verbatim otherwise)."""
    buf: list[str] = []
    for line in lines:
        if line.strip():
            buf.append(line.rstrip())
        elif buf:
            yield "\n".join(buf)
            buf = []
    if buf:
        yield "\n".join(buf)


def read_plain(data: bytes) -> Parsed:
    """Read a plain text file (UTF-8 or cp1252) into paragraph blocks."""
    text = read_text(data)
    blocks = tuple(Block(p) for p in paragraphs(text.split("\n")))
    return Parsed(blocks=blocks)
