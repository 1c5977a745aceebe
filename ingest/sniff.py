"""Content sniffing: which reader a file needs, decided by its bytes, not its extension."""

from __future__ import annotations

import io
import re
import zipfile

from ingest.errors import UnsupportedFormat
from ingest.textio import decode_bytes

FORMATS = ("pdf", "docx", "html", "markdown", "rst", "text", "nir-xml")

_MD_HEADING = re.compile(r"^#{1,6} \S", re.M)
_MD_MARKS = re.compile(r"^(?:```|\* |- |\d+\. )|\[[^\]\n]+\]\([^)\s]+\)|\*\*\S", re.M)
_UNDERLINE = re.compile(r"^([^\s].*)\n([=\-~^\"'`#*+]{3,})[ \t]*$", re.M)
_RST_DIRECTIVE = re.compile(r"^\.\. [\w-]+::", re.M)


def sniff(data: bytes, name: str = "") -> str:
    """Return one of FORMATS for `data`, or raise UnsupportedFormat (Italian message)."""
    if not data.strip():
        raise UnsupportedFormat("file vuoto")
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return _sniff_zip(data)
    if b"\x00" in data[:8192]:
        raise UnsupportedFormat("formato non riconosciuto (file binario)")
    text = decode_bytes(data[:65536])
    if _looks_binary(text):
        raise UnsupportedFormat("formato non riconosciuto (file binario)")
    return sniff_text(text, name)


def sniff_text(text: str, name: str = "") -> str:
    """Classify decoded text: markup first, then Markdown vs reStructuredText vs plain."""
    start = text.lstrip()[:4096]
    lower = start.lower()
    if lower.startswith("<?xml") or lower.startswith("<nir") or lower.startswith("<akomantoso"):
        if "<nir" in lower or "akomantoso" in lower or "normeinrete" in lower:
            return "nir-xml"
        if "<html" in lower:
            return "html"
        raise UnsupportedFormat("formato non riconosciuto (XML di tipo sconosciuto)")
    if lower.startswith(("<!doctype html", "<html", "<!--", "<head", "<body")) \
            or "<html" in lower[:1024] or _is_html_fragment(lower):
        return "html"
    return _markup_kind(text, name)


_HTML_TAG = re.compile(r"</?(?:p|div|h[1-6]|table|tr|td|ul|ol|li|br|span|strong|a)\b[^>]*>")


def _is_html_fragment(lower: str) -> bool:
    """HTML without <html>: starts with a tag and is dense with common HTML tags."""
    return lower.startswith("<") and len(_HTML_TAG.findall(lower)) >= 5


def _markup_kind(text: str, name: str) -> str:
    sample = text[:200_000]
    front_matter = sample.startswith("---\n")
    md_headings = len(_MD_HEADING.findall(sample))
    md_marks = len(_MD_MARKS.findall(sample))
    underlines = sum(1 for m in _UNDERLINE.finditer(sample)
                     if len(m.group(2).rstrip()) >= len(m.group(1).rstrip()) - 1)
    directives = len(_RST_DIRECTIVE.findall(sample))
    lname = name.lower()
    if front_matter or md_headings >= 2 or (md_headings and lname.endswith(".md")):
        return "markdown"
    if directives or underlines >= 2 or (underlines and ".rst" in lname):
        return "rst"
    if lname.endswith((".md", ".markdown")) or md_marks >= 5 or md_headings:
        return "markdown"
    return "text"


def _sniff_zip(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnsupportedFormat("archivio ZIP danneggiato o troncato") from exc
    if "word/document.xml" in names:
        return "docx"
    raise UnsupportedFormat("formato non riconosciuto (archivio ZIP che non è un DOCX)")


def _looks_binary(text: str) -> bool:
    if not text:
        return False
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\n\r\t\f")
    return controls > len(text[:8192]) * 0.05
