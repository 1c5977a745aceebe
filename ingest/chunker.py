"""Structure-shaped chunking: units → `Chunk`s with verbatim text, locator and context.

Rules:
- one chunk never mixes two articles; it mixes sections only when they are short: a section
  shorter than `min_chars` travels with the sections that follow it while the whole fits in
  `max_chars` (a two-line "1.1 Sistema" section alone would outrank, and never hold, the
  answer); such a chunk's locator names the first and last section ("1.1 X … 1.3 Y");
- an article heading (and its rubric) always travels with its first comma;
- a short article (or section) that fits in `max_chars` is one chunk; otherwise consecutive
  commi (paragraphs) are packed while they fit;
- a comma longer than `max_chars` is split by langchain's RecursiveCharacterTextSplitter with a
  small overlap; every piece keeps the comma's locator (letters and pages are those the piece
  covers);
- `Chunk.text` is a verbatim slice of the normalised document text (blocks joined by a newline
  for PDFs, a blank line otherwise); `Chunk.context` is "<short title> — <locator label>".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from langchain_text_splitters import RecursiveCharacterTextSplitter

from ingest.acts import short_title
from ingest.legal import Part, Unit
from ingest.models import Chunk, DocumentMeta, Locator
from ingest.sentences import ABBREVIATIONS, TERMINAL, is_abbreviation
from ingest.vigenza import Vigenza, article_repeal, chunk_vigenza

MAX_CHARS = 1200
MIN_CHARS = 400
OVERLAP = 120
# bump when chunks change: stored documents are re-chunked. "4": fake-bold glyphs collapsed
# (11 chunks of 2 PDFs), in-force state and cross-references on chunks, OCR'd pages;
# "5": where each page begins inside a chunk that spans several (`Chunk.page_breaks`);
# "6": documents record the date of their text version (`DocumentMeta.in_force`), read again;
# "7": references to the codes (civil, penal, procedure, road, cultural heritage) keyed;
# "8": names acts give ("di seguito «Regolamento»"), "art. 1, comma 44, lett. c), della legge
# 56/2014" of that law with its letter, acts after long lists, more codes known by name;
# "9": a long comma is no longer cut after an abbreviation's dot ("n.", "art.", "D.P.R.")
CHUNKING_VERSION = "9"


@dataclass(frozen=True)
class _Piece:
    text: str
    comma: str | None
    parts: tuple[Part, ...]  # the parts the text covers
    marks: tuple[tuple[int, int | None], ...] = ()  # (offset in text, page) of each part


@dataclass
class _Item:
    comma: str | None
    parts: list[Part]
    lead: int = 0  # leading parts that are headings (kept with the first piece)


def _merge_leading(units: list[Unit]) -> list[_Item]:
    """Fold heading and unnumbered leading units into the first unit with content."""
    items: list[_Item] = []
    carry: list[Part] = []
    legal = units[0].article is not None
    seen_comma = False
    for unit in units:
        leading = unit.heading or (legal and unit.comma is None and not seen_comma
                                   and any(u.comma for u in units))
        if leading:
            carry.extend(unit.parts)
            continue
        seen_comma = seen_comma or unit.comma is not None
        items.append(_Item(unit.comma, carry + unit.parts, len(carry)))
        carry = []
    if carry:
        if items:
            items[-1].parts.extend(carry)
        else:
            items.append(_Item(None, carry))
    return items


class Chunker:
    """Builds chunks for one document's units."""

    def __init__(self, max_chars: int = MAX_CHARS, overlap: int = OVERLAP,
                 min_chars: int = MIN_CHARS) -> None:
        self.max_chars = max_chars
        self.min_chars = min_chars
        self.overlap = overlap
        self.splitter = _splitter(max_chars, overlap)
        self._doc_title = ""

    def chunk(self, units: list[Unit], meta: DocumentMeta, fmt: str) -> list[Chunk]:
        """All chunks of a document, in order, numbered from 0."""
        sep = "\n" if fmt == "pdf" else "\n\n"
        title = short_title(meta)
        self._doc_title = _norm(meta.title)
        pieces: list[tuple[Chunk, bool]] = []  # (chunk, a whole section outside articles)
        pending_heads: list[Unit] = []
        for group in _groups(units):
            if all(u.heading for u in group) and group[0].article is None:
                pending_heads.extend(group)  # a heading directly followed by a sub-heading
                continue
            if pending_heads and group[0].article is None:
                group = pending_heads + group
            elif pending_heads:
                pieces.extend(self._section_chunks(pending_heads, sep, title))
            pending_heads = []
            pieces.extend(self._section_chunks(group, sep, title))
        if pending_heads:
            pieces.extend(self._section_chunks(pending_heads, sep, title))
        chunks = self._merge_short(pieces, sep, title)
        return [replace(c, ordinal=i) for i, c in enumerate(chunks)]

    def _section_chunks(self, group: list[Unit], sep: str, title: str
                        ) -> list[tuple[Chunk, bool]]:
        out = self._chunks_of(group, sep, title, 0)
        whole = len(out) == 1 and group[0].article is None
        return [(c, whole) for c in out]

    def _merge_short(self, pieces: list[tuple[Chunk, bool]], sep: str, title: str
                     ) -> list[Chunk]:
        """Join a short whole section with the whole sections after it while they fit."""
        out: list[Chunk] = []
        run: list[Chunk] = []

        def flush() -> None:
            if run:
                out.append(run[0] if len(run) == 1 else _joined(run, sep, title))
                run.clear()

        for chunk, whole in pieces:
            if not whole:
                flush()
                out.append(chunk)
                continue
            size = sum(len(c.text) + len(sep) for c in run)
            if run and (size - len(sep) >= self.min_chars
                        or size + len(chunk.text) > self.max_chars):
                flush()
            run.append(chunk)
        flush()
        return out

    def _chunks_of(self, group: list[Unit], sep: str, title: str, start: int) -> list[Chunk]:
        items = _merge_leading(group)
        last = group[-1]
        heads = {id(p) for u in group if u.heading for p in u.parts}
        repeal = article_repeal([p.text for u in group for p in u.parts]) \
            if last.article else None
        out: list[Chunk] = []
        for pieces in self._pack(items, sep):
            text = sep.join(p.text for p in pieces)
            bases = _bases([p.text for p in pieces], sep)
            breaks = _breaks((base + at, page) for piece, base in zip(pieces, bases, strict=True)
                             for at, page in piece.marks)
            loc = _locator(self._without_title(last.section), last.article, pieces)
            label = _shorten(loc.label(), 120)
            context = f"{title} — {label}" if label else title
            state = _vigenza(pieces, heads, repeal) if last.article else Vigenza()
            out.append(Chunk(ordinal=start + len(out), text=text, locator=loc, context=context,
                             vigente=state.vigente, repeal_note=state.note,
                             repealed=state.repealed, amended=state.amended,
                             page_breaks=breaks))
        return out

    def _without_title(self, section: tuple[str, ...]) -> tuple[str, ...]:
        """The section path without a leading heading that repeats the document title."""
        if section and _norm(section[0]) == self._doc_title:
            return section[1:]
        return section

    def _pack(self, items: list[_Item], sep: str) -> list[list[_Piece]]:
        batches: list[list[_Piece]] = []
        current: list[_Piece] = []
        size = 0
        for item in items:
            text = sep.join(p.text for p in item.parts)
            if len(text) > self.max_chars:
                if current:
                    batches.append(current)
                    current, size = [], 0
                batches.extend([[p] for p in self._split(item, sep)])
                continue
            added = len(text) + (len(sep) if current else 0)
            if current and size + added > self.max_chars:
                batches.append(current)
                current, size, added = [], 0, len(text)
            marks = zip(_bases([p.text for p in item.parts], sep), [p.page for p in item.parts],
                        strict=True)
            current.append(_Piece(text, item.comma, tuple(item.parts), tuple(marks)))
            size += added
        if current:
            batches.append(current)
        return batches

    def _split(self, item: _Item, sep: str) -> list[_Piece]:
        text = sep.join(p.text for p in item.parts)
        offsets = [(at, at + len(part.text), part) for at, part
                   in zip(_bases([p.text for p in item.parts], sep), item.parts, strict=True)]
        body = offsets[item.lead][0] if 0 < item.lead < len(offsets) else 0
        spans = _spans(text, body, len(text), self.splitter)
        if body and spans:  # the heading goes with the first piece of its first comma
            first_end = spans[0][1]
            if first_end > self.max_chars:
                room = max(200, self.max_chars - body)
                sub = _spans(text, spans[0][0], first_end, _splitter(room, self.overlap))
                spans = [(0, sub[0][1]), *sub[1:], *spans[1:]]
            else:
                spans[0] = (0, first_end)
        return [_Piece(text[a:b], item.comma,
                       tuple(p for s, e, p in offsets if s < b and e > a),
                       tuple((max(s - a, 0), p.page) for s, e, p in offsets if s < b and e > a))
                for a, b in spans]


def _vigenza(pieces: list[_Piece], heads: set[int], repeal: str | None) -> Vigenza:
    parts = [p for piece in pieces for p in piece.parts]
    return chunk_vigenza([p.text for p in parts if id(p) not in heads],
                         [p.text for p in parts if id(p) in heads], repeal)


def _joined(run: list[Chunk], sep: str, title: str) -> Chunk:
    """One chunk from consecutive whole sections: verbatim text, section range, pages."""
    first, last = run[0].locator, run[-1].locator
    common: list[str] = []
    for a, b in zip(first.section, last.section, strict=False):
        if a != b:
            break
        common.append(a)
    head = first.section[len(common):][:1]
    tail = last.section[len(common):][-1:]
    leaf = " … ".join(dict.fromkeys([*head, *tail]))
    section = (*common, leaf) if leaf else tuple(common)
    pages = [p for c in run for p in (c.locator.page_start, c.locator.page_end)
             if p is not None]
    loc = Locator(section=section, page_start=min(pages) if pages else None,
                  page_end=max(pages) if pages else None)
    label = _shorten(loc.label(), 120)
    bases = _bases([c.text for c in run], sep)
    breaks = _breaks((base + at, page) for c, base in zip(run, bases, strict=True)
                     for at, page in (c.page_breaks or ((0, c.locator.page_start),)))
    return Chunk(ordinal=run[0].ordinal, text=sep.join(c.text for c in run), locator=loc,
                 context=f"{title} — {label}" if label else title, page_breaks=breaks)


def _bases(texts: list[str], sep: str) -> list[int]:
    """Where each of `texts` begins once they are joined by `sep`."""
    out, pos = [], 0
    for text in texts:
        out.append(pos)
        pos += len(text) + len(sep)
    return out


def _breaks(marks: Iterable[tuple[int, int | None]]) -> tuple[tuple[int, int], ...]:
    """(offset, page) where each page begins, or () when the text lies on one page."""
    out: list[tuple[int, int]] = []
    for at, page in marks:
        if page is not None and (not out or out[-1][1] != page):
            out.append((at, page))
    return tuple(out) if len(out) > 1 else ()


# a full stop that ends a sentence, not an abbreviation's dot (`ingest.sentences`' list, and
# single letters): a long comma is never cut inside a citation ("della legge 27 dicembre
# 2006, n.| 296", "previste dall'art.| 175", "D.P.R.| 445")
_FULL_STOP = (r"\.(?i:" + "".join(rf"(?<!\b{re.escape(a)}\.)"
                                   for a in sorted(ABBREVIATIONS - TERMINAL))
              + r"(?<!\b[^\W\d_]\.)) ")
_LAST_WORD = re.compile(r"(?<![\w.])([^\W\d_]+(?:\.[^\W\d_]+)*)\.\s*$")


def ends_inside_citation(text: str) -> bool:
    """True when `text` ends with an abbreviation's dot ("…, n.", "dall'art."), not a sentence's."""
    last = _LAST_WORD.search(text)
    return last is not None and is_abbreviation(last.group(1).lower())


def _splitter(size: int, overlap: int) -> RecursiveCharacterTextSplitter:
    return RecursiveCharacterTextSplitter(
        chunk_size=size, chunk_overlap=min(overlap, size // 4), keep_separator="end",
        separators=["\n\n", "\n", _FULL_STOP, "; ", ", ", " ", ""], is_separator_regex=True,
        strip_whitespace=True)


def _spans(text: str, start: int, end: int,
           splitter: RecursiveCharacterTextSplitter) -> list[tuple[int, int]]:
    """Absolute (start, end) spans of the splitter's pieces of text[start:end]."""
    segment = text[start:end]
    spans: list[tuple[int, int]] = []
    cursor = 0
    for piece in splitter.split_text(segment):
        at = segment.find(piece, cursor)
        if at < 0:
            at = segment.find(piece)
        if at < 0:  # cannot happen with keep_separator; stay verbatim regardless
            continue
        spans.append((start + at, start + at + len(piece)))
        cursor = at + 1
    return spans


def _groups(units: list[Unit]) -> list[list[Unit]]:
    groups: list[list[Unit]] = []
    for unit in units:
        if groups and groups[-1][0].group == unit.group:
            groups[-1].append(unit)
        else:
            groups.append([unit])
    return groups


def _locator(section: tuple[str, ...], article: str | None,
             pieces: list[_Piece]) -> Locator:
    commi: list[str] = []
    for piece in pieces:
        if piece.comma is not None and piece.comma not in commi:
            commi.append(piece.comma)
    parts = [p for piece in pieces for p in piece.parts]
    letters: list[str] = []
    if article is not None and len(commi) <= 1:
        for part in parts:
            if part.letter is not None and part.letter not in letters:
                letters.append(part.letter)
    pages = [p.page for p in parts if p.page is not None]
    return Locator(section=section, article=article,
                   commi=tuple(commi) if article is not None else (),
                   letters=tuple(letters), page_start=min(pages) if pages else None,
                   page_end=max(pages) if pages else None)


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def _shorten(text: str, limit: int) -> str:
    """Cut a label at a word boundary (context headers stay short)."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"
