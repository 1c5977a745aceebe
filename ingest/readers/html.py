"""HTML reader (BeautifulSoup + lxml): h1-h6 headings, block text; nav/script/style dropped."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import Comment

from ingest.models import Block
from ingest.readers import Parsed
from ingest.textio import decode_bytes, normalise_text

_DROP = ("script", "style", "nav", "noscript", "template", "svg", "form", "button", "iframe",
         "header", "footer", "aside")
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_LEAVES = {"p", "pre", "td", "th", "dt", "dd", "caption", "figcaption", "li", "summary"}
_CONTAINERS = {"ul", "ol", "dl", "table", "div", "p", "section", "article", "blockquote",
               "pre", "figure", "details"}
_SPACE = re.compile(r"\s+")


def clean(text: str) -> str:
    """Collapse HTML whitespace (not significant in HTML) after the usual normalisation."""
    return _SPACE.sub(" ", normalise_text(text)).strip()


class _Walker:
    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.inline: list[str] = []

    def flush(self) -> None:
        """Emit the pending inline text as a block."""
        text = clean("".join(self.inline))
        if text:
            self.blocks.append(Block(text))
        self.inline = []

    def walk(self, node: Tag) -> None:
        """Visit the children of a node."""
        for child in node.children:
            if isinstance(child, Comment):
                continue
            if isinstance(child, NavigableString):
                self.inline.append(str(child))
            elif isinstance(child, Tag):
                self.visit(child)

    def visit(self, tag: Tag) -> None:
        """Dispatch one tag: heading, leaf block, container or inline."""
        name = tag.name
        if name in _HEADINGS:
            self.flush()
            text = clean(tag.get_text())
            if text:
                self.blocks.append(Block(text, heading_level=_HEADINGS[name]))
        elif name == "br":
            self.inline.append("\n")
        elif name in _LEAVES and not tag.find(list(_CONTAINERS | set(_HEADINGS))):
            self.flush()
            self.inline.append(tag.get_text())
            self.flush()
        elif name in _CONTAINERS or name in _LEAVES:
            self.flush()
            self.walk(tag)
            self.flush()
        else:
            self.walk(tag)


def read_html(data: bytes) -> Parsed:
    """Read an HTML page into heading and paragraph blocks."""
    soup = BeautifulSoup(decode_bytes(data), "lxml")
    for tag in soup.find_all(_DROP):
        tag.decompose()
    roles = ("navigation", "search", "banner")
    for tag in [t for t in soup.find_all(True) if t.get("role") in roles]:
        tag.decompose()
    for tag in soup.find_all("a", class_="headerlink"):  # Sphinx "¶" anchors
        tag.decompose()
    title_tag = soup.find("title")
    title = clean(title_tag.get_text()) if title_tag else None
    walker = _Walker()
    root = soup.body or soup
    walker.walk(root)
    walker.flush()
    if not title:
        title = next((b.text for b in walker.blocks if b.heading_level == 1), None)
    return Parsed(blocks=tuple(walker.blocks), title=title or None)
