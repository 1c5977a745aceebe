"""Italian sentence splitter that knows legal abbreviations and list structure.

Sentences are returned as character spans of the original text, so a quote taken from a span
is always a verbatim substring of the passage. Rules, in order:

- a blank line (paragraph break) always ends a unit; so does a Markdown heading line;
- a line that starts with a numbered comma ("1.", "2-bis.", "3)") or a lettera ("a)",
  "- b)", "c-bis)") starts a new unit; other single line breaks are soft (PDF wrapping);
- inside a line, `.`, `!`, `?` (or `;` followed by a list item) end a sentence only when
  followed by whitespace and an upper-case letter, a digit-free opening, a quote or a
  parenthesis, and when the word before the dot is not a known abbreviation ("art.",
  "co.", "n.", "d.lgs.", "D.P.R.", "s.m.i.", ...), a dotted acronym or a single letter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ABBREVIATIONS = frozenset({
    "art", "artt", "co", "comma", "commi", "lett", "lettera", "n", "nn", "num", "d.lgs",
    "dlgs", "d.l", "d.p.r", "dpr", "d.p.c.m", "dpcm", "d.m", "s.m.i", "ss.mm.ii", "ecc",
    "pag", "pagg", "p", "pp", "cfr", "es", "sig", "sigg", "sig.ra", "dott", "dott.ssa",
    "prof", "prof.ssa", "avv", "ing", "arch", "geom", "on", "l", "cost", "cod", "c.c",
    "c.p", "c.p.c", "c.p.p", "reg", "dir", "all", "tab", "par", "cap", "sez", "vol",
    "fig", "cit", "op", "ult", "succ", "mod", "modd", "rif", "prot", "tit", "disp",
    "att", "trans", "g.u", "gu", "s.o", "suppl", "ord", "vs", "ca", "etc", "cd",
    "c.d", "u.s", "ss", "segg", "seg", "min", "max", "tel", "fax", "int", "nr", "v",
    "vd", "lgs", "r.d", "l.r", "d.g.r", "dgr", "d.c.m", "d.d", "d.lgt", "t.u", "tuel",
    "spa", "s.p.a", "s.r.l", "srl", "cons", "st", "gen", "feb", "febbr", "mar",
    "apr", "ago", "sett", "ott", "nov", "dic", "ref", "proc",
})

TERMINAL = frozenset({"ecc", "etc", "segg", "ss"})  # may end a sentence before a capital

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s")
_ITEM = re.compile(
    r"^\s*(?:[-*•]\s+)?(?:\(?\d{1,3}(?:-[a-z]{2,12})?[.)]|\(?[a-z](?:-[a-z]{2,12})?\))\s"
)
_END = re.compile(r"[.!?]+[\"'»”’)\]]*(?=\s)")
# a section heading on a line of its own (PDF and plain text): "1.1 SISTEMA GESTIONE",
# "2.1.1 Elenco comuni", "1. SCOPO DEL DOCUMENTO", "CAPO II"
_SECTION_NUMBER = re.compile(r"\d+(?:\.\d+)+\.?\s+\S")
_NUMBERED_SECTION = re.compile(r"^\s*" + _SECTION_NUMBER.pattern)
_UPPER_LINE = re.compile(r"^\s*(?:\d+(?:\.\d+)*\.?\s+)?[A-ZÀ-Ý][A-ZÀ-Ý0-9'’ ,/()-]*[A-ZÀ-Ý0-9)]$")
MAX_HEADING_WORDS = 14  # an upper-case line longer than this is text
MAX_NUMBERED_WORDS = 8  # a "3.1 Compilazione guidata ..." line longer than this runs into text
_WORD_BEFORE = re.compile(r"([\w.'’-]+)$")
_BULLET = re.compile(r"[-*•]\s+")
_NEXT = re.compile(r"\s+([\"'«“(\[]?)(\S)")


@dataclass(frozen=True)
class Span:
    """A sentence as a [start, end) character span of the source text."""

    start: int
    end: int

    def of(self, text: str) -> str:
        """The sentence text (a verbatim substring of `text`)."""
        return text[self.start:self.end]


def split_spans(text: str) -> list[Span]:
    """Sentence spans of `text`, in order, trimmed of surrounding whitespace."""
    spans: list[Span] = []
    for start, end in _units(text):
        spans.extend(_split_unit(text, start, end))
    return spans


def split_sentences(text: str) -> list[str]:
    """Sentences of `text` as strings (each a verbatim substring of it)."""
    return [s.of(text) for s in split_spans(text)]


def _units(text: str) -> list[tuple[int, int]]:
    """Hard units: paragraphs, headings and list items, as (start, end) offsets."""
    units: list[tuple[int, int]] = []
    start: int | None = None
    pos = 0
    for line in text.splitlines(keepends=True):
        line_start, body = pos, line.rstrip("\r\n")
        pos += len(line)
        if not body.strip():
            if start is not None:
                units.append((start, line_start))
                start = None
            continue
        heading = bool(_HEADING.match(body)) or _is_section_line(body)
        hard = heading or bool(_ITEM.match(body))
        if hard and start is not None:
            units.append((start, line_start))
            start = None
        if start is None:
            start = line_start
        if heading:
            units.append((start, line_start + len(body)))
            start = None
    if start is not None:
        units.append((start, len(text)))
    return units


def _is_section_line(line: str) -> bool:
    """A numbered or upper-case section heading alone on its line (no sentence end)."""
    body = line.strip()
    words = body.split()
    if not 2 <= len(words) <= MAX_HEADING_WORDS or body[-1] in ".;:!?,":
        return False
    if _UPPER_LINE.match(body) and sum(c.isalpha() for c in body) >= 6:
        return True
    return len(words) <= MAX_NUMBERED_WORDS and bool(_NUMBERED_SECTION.match(body))


def _split_unit(text: str, start: int, end: int) -> list[Span]:
    """Split one hard unit at sentence ends that are not abbreviations."""
    spans: list[Span] = []
    cut = start
    chunk = text[start:end]
    lead = _ITEM.match(chunk)
    skip_to = start + (lead.end() if lead else 0)
    for m in _END.finditer(chunk):
        pos = start + m.end()
        if pos <= skip_to or not _is_boundary(text, start + m.start(), pos, end):
            continue
        spans.extend(_trimmed(text, cut, pos))
        cut = pos
    spans.extend(_trimmed(text, cut, end))
    return spans


def _is_boundary(text: str, dot: int, after: int, end: int) -> bool:
    """True when the punctuation at `dot` really ends a sentence."""
    nxt = _NEXT.match(text, after, end)
    if nxt is None:
        return False
    first = nxt.group(2)
    numbered_line = "\n" in text[after:nxt.start(2)] and bool(
        _SECTION_NUMBER.match(text, nxt.start(2), end))
    if not (first.isupper() or nxt.group(1) in {"«", "“", '"'} or numbered_line):
        return False
    if text[dot] != ".":
        return True
    word_m = _WORD_BEFORE.search(text, max(0, dot - 40), dot)
    word = word_m.group(1).lower().strip("'’-") if word_m else ""
    return not is_abbreviation(word)


def is_abbreviation(word: str) -> bool:
    """True for known abbreviations, dotted acronyms (D.P.R, s.m.i) and single letters."""
    if not word or word in TERMINAL:
        return False
    if word in ABBREVIATIONS:
        return True
    if "." in word:  # D.Lgs, D.P.R, s.m.i, ss.mm.ii
        return True
    return len(word) == 1 and word.isalpha()


def _trimmed(text: str, start: int, end: int) -> list[Span]:
    """The span with surrounding whitespace removed, or nothing when it is blank."""
    while start < end and text[start].isspace():
        start += 1
    bullet = _BULLET.match(text, start, end)
    if bullet:
        start = bullet.end()
    while end > start and text[end - 1].isspace():
        end -= 1
    return [Span(start, end)] if end > start else []
