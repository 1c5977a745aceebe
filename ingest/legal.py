"""Legal and section structure: reader `Block`s → `Unit`s carrying article/comma/letter.

Rules (see tests/test_ingest_legal.py):
- article headings: `Art. 7-bis. - Sanzioni`, `Articolo 6`, `Art. 3 bis.`; in heading blocks
  always; in body blocks only when the line is the heading alone or the heading followed by
  a title (`Art. 5 - Oggetto`, `Art. 5 Oggetto`), never `Art. 5 del ...` / `art. 5, comma 2`.
  When a document marks its article headings as headings (Markdown, XML), body lines never
  open articles (quoted amendments stay inside their article).
- Libro/Parte/Titolo/Capo/Sezione and reader headings build the section path; plain text and
  PDFs also take numbered titles (`3.2 Interoperabilità`) as headings.
- inside an article: commi `1.`, `2-bis.`, `01.` (also after `((`), lettere `a)`, `a-bis)`.
- an article without numbered commi numbers its paragraphs 1, 2, ... (when it has several).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.models import Block

SUFFIXES = ("bis", "ter", "quater", "quinquies", "sexies", "septies", "octies", "novies",
            "nonies", "decies", "undecies", "duodecies", "terdecies", "quaterdecies",
            "quinquiesdecies", "quindecies", "sexiesdecies", "sexdecies", "sedecies",
            "septiesdecies", "septdecies", "octiesdecies", "noviesdecies", "vicies", "semel")
# Normattiva also writes "sex-decies", "septies-decies": an optional hyphen before "decies"
_SUF = "(?:" + "|".join(s.replace("decies", "-?decies") if s.endswith("decies") and s != "decies"
                        else s for s in sorted(SUFFIXES, key=len, reverse=True)) + ")"
_OPEN = r"(?:\(\(\s*)?"
ARTICLE = re.compile(
    rf"^\s*{_OPEN}(?P<kw>Art\.|Articolo|ART\.|ARTICOLO|Art\b|art\.|articolo)\s*"
    rf"(?P<num>\d{{1,4}})(?:\s*[-‐–\s]\s*(?P<suf>{_SUF}))?\b\.?(?P<rest>.*)$",
    re.S)
COMMA = re.compile(rf"^\s*{_OPEN}(?P<num>\d{{1,3}}(?:\s*-\s*{_SUF})?)\s*\.(?!\d)\s*(?=\S|$)")
LETTER = re.compile(
    rf"^\s*(?:[-*•]\s+)?{_OPEN}(?P<let>[a-z]{{1,3}}(?:\s*-\s*{_SUF})?)\)(?=\s|\w|$)")
SECTION = re.compile(
    r"^\s*(?:\(\(\s*)?(?P<kw>LIBRO|PARTE|TITOLO|CAPO|SEZIONE|Libro|Parte|Titolo|Capo|Sezione)"
    r"\s+(?P<id>[IVXLCDM]+|\d+|UNICA|UNICO|PRIMA|SECONDA|TERZA|QUARTA|Unica|Unico|Prima"
    r"|Seconda|Terza|Quarta|0\.[IVX]+)\b(?P<rest>.*)$", re.S)
_SECTION_RANK = {"libro": 1, "parte": 2, "titolo": 3, "capo": 4, "sezione": 5}
NUMBERED_TITLE = re.compile(
    r"^\s*(?P<num>\d{1,2}(?:\.\d{1,2}){0,4})\.?\s+(?:[-–]\s+)?(?P<title>[A-ZÀ-Ý][^\n]{1,100})$")
_LEADERS = re.compile(r"\.{4,}|…{2,}|_{4,}")
_MONTH_START = re.compile(r"^(?:gennaio|febbraio|marzo|aprile|maggio|giugno|luglio|agosto|"
                          r"settembre|ottobre|novembre|dicembre)\b", re.I)
_NOTE = re.compile(r"^\W*-{3,}|^\s*AGGIORNAMENTO\b")
_LOWER_START = re.compile(r"^\s*[,;]|^\s+(?:del|della|dello|dei|degli|delle|di|e|o|ed|al|alla|"
                          r"comma|commi|n\.|lett)\b")


@dataclass
class Part:
    """A block's text inside a unit, with its page and the letter it belongs to."""

    text: str
    page: int | None = None
    letter: str | None = None


@dataclass
class Unit:
    """A structural piece: an article heading, a comma, a section heading or a paragraph."""

    group: int  # changes at every article or section heading
    section: tuple[str, ...]
    article: str | None
    comma: str | None
    heading: bool
    parts: list[Part] = field(default_factory=list)
    implicit: bool = False  # an unnumbered paragraph inside an article


def article_number(text: str, *, heading: bool) -> str | None:
    """The article number ('7-bis') if `text` is an article heading line, else None."""
    match = ARTICLE.match(text)
    if not match:
        return None
    rest = match.group("rest")
    if not heading:
        if match.group("kw") in ("art.", "articolo") or len(text) > 160 or "\n" in text.strip():
            return None
        stripped = rest.strip()
        if stripped and not (stripped[0] in "-–—:.(" or stripped[0].isupper()):
            return None
        if _LOWER_START.match(rest):
            return None
    elif rest and rest[:1].isalnum():
        return None  # "Articolo 1bis"-like glue or "Art. 5del": not a heading number
    num = match.group("num")
    suffix = match.group("suf")
    return f"{num}-{suffix.lower().replace('-', '')}" if suffix else num


def _compact(number: str) -> str:
    """'2 - sex-decies' → '2-sexdecies'."""
    head, _, suffix = re.sub(r"\s+", "", number).partition("-")
    return f"{head}-{suffix.replace('-', '')}" if suffix else head


def comma_number(text: str) -> str | None:
    """The comma number ('2-bis', '01') when `text` opens a comma, else None."""
    match = COMMA.match(text)
    return _compact(match.group("num")) if match else None


def letter_of(text: str) -> str | None:
    """The letter ('a', 'a-bis') when `text` opens a lettera, else None."""
    match = LETTER.match(text)
    return _compact(match.group("let")) if match else None


def section_level(block: Block, *, numbered: bool) -> int | None:
    """Heading level when the block is a section heading, else None."""
    if block.heading_level is not None:
        return block.heading_level
    text = block.text.strip()
    if len(text) > 160 or "\n" in text:
        return None
    match = SECTION.match(text)
    if match and not _LOWER_START.match(match.group("rest")) and not _LEADERS.search(text):
        return _SECTION_RANK[match.group("kw").lower()]
    if numbered:
        title = NUMBERED_TITLE.match(text)
        if title and _plausible_number(title.group("num")) \
                and _plausible_title(title.group("title")):
            return title.group("num").count(".") + 1
    return None


def _plausible_number(num: str) -> bool:
    """Section numbers are small and not versions ('1.0') or footnote marks ('97')."""
    return int(num.split(".")[0]) <= 30 and not num.endswith(".0")


def _plausible_title(title: str) -> bool:
    title = title.strip()
    words = len(title.split())
    return (words <= 14 and len(title) <= 90 and not _LEADERS.search(title)
            and "http" not in title and not (words > 8 and "," in title)
            and not _MONTH_START.match(title)
            and title[-1] not in ".,;:" and not re.search(r"\s\d+$", title))


class _Parser:
    def __init__(self, blocks: tuple[Block, ...], fmt: str) -> None:
        self.blocks = blocks
        self.fmt = fmt
        self.heading_articles = any(
            b.heading_level is not None and article_number(b.text, heading=True)
            for b in blocks)
        self.numbered = not any(b.heading_level is not None for b in blocks)
        self.units: list[Unit] = []
        self.stack: list[tuple[int, str]] = []
        self.group = 0
        self.article: str | None = None
        self.comma: str | None = None
        self.letter: str | None = None

    def section(self) -> tuple[str, ...]:
        """The current section path."""
        return tuple(title for _, title in self.stack)

    def new_unit(self, block: Block, *, heading: bool, implicit: bool = False) -> None:
        """Open a unit holding `block`."""
        self.units.append(Unit(self.group, self.section(), self.article, self.comma, heading,
                               [Part(block.text, block.page, self.letter)], implicit))

    def feed(self, block: Block) -> None:
        """Classify one block and attach it to the structure."""
        is_heading = block.heading_level is not None
        art = None
        if is_heading or not self.heading_articles:
            art = article_number(block.text, heading=is_heading)
        if art is not None:
            self.group += 1
            self.article, self.comma, self.letter = art, None, None
            self.new_unit(block, heading=True)
            return
        level = section_level(block, numbered=self.numbered and self.article is None)
        if level is not None:
            self.group += 1
            self.article, self.comma, self.letter = None, None, None
            while self.stack and self.stack[-1][0] >= level:
                self.stack.pop()
            self.stack.append((level, block.text.strip()))
            self.new_unit(block, heading=True)
            return
        if self.article is None:
            self.new_unit(block, heading=False)
            return
        self.feed_article_body(block)

    def feed_article_body(self, block: Block) -> None:
        """A body block inside an article: comma, lettera or continuation."""
        comma = comma_number(block.text)
        if comma is not None:
            self.comma, self.letter = comma, None
            self.new_unit(block, heading=False)
            return
        letter = letter_of(block.text)
        if letter is not None:
            self.letter = letter
        current = self.units[-1]
        if self.comma is None and self.fmt != "pdf" and letter is None \
                and not (current.heading and _is_rubric(block.text)):
            self.new_unit(block, heading=False, implicit=True)
            return
        current.parts.append(Part(block.text, block.page, self.letter))

    def number_implicit(self) -> None:
        """Number unnumbered paragraphs of articles that have no numbered commi."""
        by_group: dict[int, list[Unit]] = {}
        for unit in self.units:
            if unit.article is not None:
                by_group.setdefault(unit.group, []).append(unit)
        for units in by_group.values():
            if any(u.comma is not None for u in units):
                continue
            implicit = [u for u in units if u.implicit and not _NOTE.match(u.parts[0].text)]
            if len(implicit) < 2:  # one paragraph: the article, not a numbered comma
                continue
            for n, unit in enumerate(implicit, start=1):
                unit.comma = str(n)


def _is_rubric(text: str) -> bool:
    """A short line right after an article heading (its title, or a '((' mark)."""
    stripped = text.strip()
    if stripped in ("((", "))"):
        return True
    return len(stripped) < 200 and not stripped.endswith((".", ";", ":"))


def parse_units(blocks: tuple[Block, ...], fmt: str) -> list[Unit]:
    """Turn reader blocks into structural units (see the module docstring for the rules)."""
    parser = _Parser(blocks, fmt)
    for block in blocks:
        if block.text.strip():
            parser.feed(block)
    parser.number_implicit()
    return parser.units
