"""Normattiva XML reader: NIR (messy monovigente exports included) and Akoma Ntoso."""

from __future__ import annotations

import re

from lxml import etree

from ingest.errors import IngestError
from ingest.models import Block
from ingest.readers import Parsed
from ingest.textio import normalise_text

_SPACE = re.compile(r"\s+")
_ARTICLE_P = re.compile(r"^\s*(?:Art\.|Articolo)\s*\d+", re.I)
_CONTAINERS = {"libro": 1, "parte": 1, "titolo": 2, "capo": 3, "sezione": 4,
               "book": 1, "part": 1, "title": 2, "chapter": 3, "section": 4, "subsection": 5}
_ARTICLES = {"articolo", "article"}
_PARAGRAPHS = {"comma", "paragraph", "el", "en", "ep", "point", "item"}
_SKIP = {"meta", "descrittori", "redazione", "pubblicazione", "urn", "br", "references",
         "lifecycle", "analysis", "identification", "proprietary", "notes", "num", "rubrica",
         "heading", "subheading"}
_TEXT = {"p", "titoloDoc", "docTitle", "preambolo", "formulainiziale"}


def _local(el: etree._Element) -> str:
    tag = el.tag
    return tag.split("}", 1)[1] if isinstance(tag, str) and "}" in tag else str(tag)


def _text(el: etree._Element | None) -> str:
    if el is None:
        return ""
    return _SPACE.sub(" ", normalise_text("".join(el.itertext()))).strip()


def _child(el: etree._Element, *names: str) -> etree._Element | None:
    for child in el:
        if _local(child) in names:
            return child
    return None


class _Walker:
    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.skip: etree._Element | None = None

    def emit(self, text: str, level: int | None = None) -> None:
        """Append a block (heading when `level` is set)."""
        if text:
            self.blocks.append(Block(text, heading_level=level))

    def walk(self, el: etree._Element) -> None:
        """Visit the element children of `el`."""
        for child in el:
            if not isinstance(child.tag, str):
                continue
            self.visit(child)

    def visit(self, el: etree._Element) -> None:
        """Dispatch one element by its local name."""
        if el is self.skip:
            self.emit(_text(el), 3)
            return
        name = _local(el)
        if name in _CONTAINERS:
            heading = " ".join(t for t in (_text(_child(el, "num")).strip("- ").strip(),
                                           _text(_child(el, "rubrica", "heading"))) if t)
            self.emit(heading, _CONTAINERS[name])
            self.walk(el)
        elif name in _ARTICLES:
            self.article(el)
        elif name in _PARAGRAPHS:
            self.paragraph(el)
        elif name in _TEXT:
            self.emit(_text(el))
        elif name not in _SKIP:
            self.walk(el)

    def article(self, el: etree._Element) -> None:
        """An article: its heading, then its content."""
        paras = [p for p in el.iter() if isinstance(p.tag, str) and _local(p) == "p"]
        num = _text(_child(el, "num"))
        rubric = _text(_child(el, "rubrica", "heading"))
        # monovigente exports repeat the heading as a centred paragraph ("Art. 3-bis"),
        # sometimes after the preamble: the heading goes where that paragraph is.
        skip = next((p for p in paras if _ARTICLE_P.match(_text(p)) and len(_text(p)) < 40),
                    None)
        if skip is None:
            self.emit(" - ".join(t for t in (num, rubric) if t) or "Articolo", 3)
        self.skip = skip
        for child in el:
            if isinstance(child.tag, str) and _local(child) not in ("num", "rubrica", "heading"):
                self.visit(child)
        self.skip = None

    @staticmethod
    def _has_html(el: etree._Element) -> bool:
        return any(isinstance(p.tag, str) and p.tag.endswith("}p") and "html" in p.tag
                   for p in el.iter())

    def paragraph(self, el: etree._Element) -> None:
        """A comma/paragraph: number and text as one block, nested items after."""
        if self._has_html(el):  # NIR monovigente: the real text sits in h:p paragraphs
            for child in el:
                if isinstance(child.tag, str) and _local(child) != "num":
                    self.visit(child)
            return
        num = _text(_child(el, "num"))
        body: list[str] = []
        nested: list[etree._Element] = []
        for child in el:
            if not isinstance(child.tag, str) or _local(child) == "num":
                continue
            if _local(child) == "list":  # AKN: the list's intro belongs to this paragraph
                for item in child:
                    if not isinstance(item.tag, str):
                        continue
                    if _local(item) in ("intro", "alinea"):
                        body.append(_text(item))
                    else:
                        nested.append(item)
            elif _local(child) in _PARAGRAPHS:
                nested.append(child)
            else:
                body.append(_text(child))
        self.emit(" ".join(t for t in (num, *body) if t))
        for child in nested:
            self.visit(child)


def read_nir(data: bytes) -> Parsed:
    """Read a NIR or Akoma Ntoso XML act into heading and paragraph blocks."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                             recover=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise IngestError(f"XML illeggibile: {exc}") from exc
    if root is None:
        raise IngestError("XML illeggibile o vuoto")
    walker = _Walker()
    title = None
    for el in root.iter():
        if isinstance(el.tag, str) and _local(el) in ("titoloDoc", "docTitle"):
            title = _text(el) or None
            break
    walker.walk(root)
    version = _expression_date(root)
    return Parsed(blocks=tuple(walker.blocks), title=title,
                  props={"in_force": version} if version else {})


def _expression_date(root: etree._Element) -> str | None:
    """Akoma Ntoso's date of the expression (the version of the text), when it gives one and
    it is not the work's own date (an export of the original text, not a version in force)."""
    dates: dict[str, str | None] = {}
    for el in root.iter():
        if isinstance(el.tag, str) and _local(el) in ("FRBRWork", "FRBRExpression"):
            found = _child(el, "FRBRdate")
            dates.setdefault(_local(el), found.get("date") if found is not None else None)
            if len(dates) == 2:  # both in the metadata, at the top: the body is not read
                break
    version = dates.get("FRBRExpression")
    return version if version and version != dates.get("FRBRWork") else None
