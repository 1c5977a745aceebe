"""Query/passage groups mined from the corpus's own structure (no labels needed).

- article rubrica -> the article's first chunk with the heading line removed;
- section heading -> a chunk of that section with the heading removed;
- "art. 14-bis della legge 241/1990" style references -> that article's chunk;
- document title -> the document's first chunks;
- one sentence of a passage -> the rest of that passage (the inverse cloze task), opt-in:
  the neighbouring passages of the same document are its negatives, which is where the
  search's first hit most often goes wrong (a passage beside the one that answers).

Negatives are BM25 hard negatives from other articles/sections (and, for references, the same
article number in other acts and the neighbouring articles of the same act).
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from index.lexical import LexicalIndex
from ingest.sentences import split_spans

RUBRICA = re.compile(
    r"^\s*(?:\(\()?\s*art(?:icolo|\.)?\s*[\w-]+\.?\s*(?:-|–)?\s*(?:\(\(\s*)?\(?(?P<r>[^\n]{6,160}?)"
    r"\)?(?:\)\))?\s*\.?\s*\n", re.IGNORECASE)
RUBRICA_NEXT = re.compile(r"^\s*(?:\(\()?\s*art(?:icolo|\.)?\s*[\w-]+\.?\s*\n+\s*"
                          r"\((?P<r>[^\n]{6,160})\)\.?\s*\n", re.IGNORECASE)
REF_TEMPLATES = ("art. {a} {act}", "Che cosa prevede l'art. {a} del {act}?",
                 "{act}, articolo {a}", "Cosa dispone l'articolo {a} {act}?")
GENERIC_HEADINGS = {"premessa", "introduzione"}
CLOZE_WORDS = (8, 45)  # a query sentence's length in words
CLOZE_REST = 120  # characters the passage must keep once the sentence is taken out
NEIGHBOURS = 2  # passages on each side of the positive, in the same document, as negatives
COMMA_TEMPLATES = ("art. {a}, comma {c}, {act}", "Cosa stabilisce il comma {c} dell'art. {a} "
                   "del {act}?")


@dataclass(frozen=True)
class Passage:
    """One stored chunk as training text, with the structure used to mine pairs."""

    row: int
    doc: int
    file: str
    title: str
    act_label: str  # the context's act part ("D.Lgs. 118/2011"), "" when none
    article: str | None
    commi: tuple[str, ...]
    section: tuple[str, ...]
    ordinal: int
    text: str  # chunk text
    indexed: str  # context header + text (what the ranker sees)


@dataclass
class Group:
    """One training group: a query, its positive passages and negative passages."""

    source: str
    id: str
    query: str
    positives: list[str]
    negatives: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        """JSONL form."""
        return {"source": self.source, "id": self.id, "query": self.query,
                "positives": self.positives, "negatives": self.negatives}


def rubrica_of(text: str) -> str | None:
    """The rubrica (article title) on an article's first lines, or None."""
    for pattern in (RUBRICA_NEXT, RUBRICA):
        match = pattern.match(text + "\n")
        if match:
            rub = match.group("r").strip(" ()-–.")
            if sum(ch.isalpha() for ch in rub) >= 6 and "ABROGATO" not in rub.upper():
                return rub
    return None


def _strip_first_line(text: str) -> str:
    parts = text.split("\n", 1)
    return parts[1].strip() if len(parts) == 2 else ""


def bm25_negatives(lex: LexicalIndex, passages: Sequence[Passage], query: str, n: int,
                   exclude: set[int]) -> list[str]:
    """Texts of the `n` best BM25 rows for the query, skipping rows in `exclude`."""
    rows, _ = lex.top(query, n + len(exclude) + 5)
    out = [passages[int(r)].indexed for r in rows if int(r) not in exclude]
    return out[:n]


def _article_key(p: Passage) -> tuple[int, str]:
    return (p.doc, p.article or "")


def rubrica_groups(passages: Sequence[Passage], lex: LexicalIndex, negatives: int
                   ) -> list[Group]:
    """Article rubrica -> the article's first chunk (heading line removed)."""
    by_article: dict[tuple[int, str], list[Passage]] = defaultdict(list)
    for p in passages:
        if p.article:
            by_article[_article_key(p)].append(p)
    groups = []
    for key, parts in sorted(by_article.items()):
        first = min(parts, key=lambda p: p.ordinal)
        rub = rubrica_of(first.text)
        body = _strip_first_line(first.text)
        if rub is None or len(body) < 80:
            continue
        positive = f"{first.indexed.split(chr(10), 1)[0]}\n{body}" if first.indexed != first.text \
            else body
        exclude = {p.row for p in parts}
        groups.append(Group("rubrica", f"rub:{key[0]}:{key[1]}", rub, [positive],
                            bm25_negatives(lex, passages, rub, negatives, exclude)))
    return groups


def section_groups(passages: Sequence[Passage], lex: LexicalIndex, negatives: int
                   ) -> list[Group]:
    """Last section heading -> a chunk of that section (non-article documents)."""
    by_section: dict[tuple[int, tuple[str, ...]], list[Passage]] = defaultdict(list)
    for p in passages:
        if not p.article and p.section:
            by_section[(p.doc, p.section)].append(p)
    groups = []
    for (doc, section), parts in sorted(by_section.items()):
        heading = re.sub(r"^[\d.\s]+", "", section[-1]).strip()
        if sum(ch.isalpha() for ch in heading) < 8 or heading.lower() in GENERIC_HEADINGS:
            continue
        chosen = min(parts, key=lambda p: p.ordinal)
        text = chosen.text
        if text.startswith(section[-1]):
            text = text[len(section[-1]):].strip()
        if len(text) < 120:
            continue
        positive = f"{chosen.title}\n{text}"
        exclude = {p.row for p in passages if p.doc == doc and p.section[-1:] == section[-1:]}
        groups.append(Group("section", f"sec:{doc}:{chosen.ordinal}", heading, [positive],
                            bm25_negatives(lex, passages, heading, negatives, exclude)))
    return groups


def reference_groups(passages: Sequence[Passage], lex: LexicalIndex, negatives: int,
                     rng: random.Random) -> list[Group]:
    """Citation-style queries ("art. 14-bis legge 241/1990") -> that article (or comma)."""
    by_number: dict[str, list[Passage]] = defaultdict(list)
    by_doc: dict[int, list[Passage]] = defaultdict(list)
    for p in passages:
        if p.article and p.act_label:
            by_number[p.article].append(p)
            by_doc[p.doc].append(p)
    groups = []
    for p in passages:
        if not (p.article and p.act_label and p.commi):
            continue
        use_comma = len(p.commi) == 1 and rng.random() < 0.5
        template = rng.choice(COMMA_TEMPLATES if use_comma else REF_TEMPLATES)
        query = template.format(a=p.article, c=p.commi[0], act=p.act_label)
        same = [x for x in by_number[p.article] if x.doc != p.doc]
        near = [x for x in by_doc[p.doc] if x.article != p.article
                and abs(x.row - p.row) < 40]
        if use_comma:
            near += [x for x in by_doc[p.doc] if x.article == p.article and x.row != p.row]
        pool = rng.sample(same, min(2, len(same))) + rng.sample(near, min(2, len(near)))
        exclude = {x.row for x in by_doc[p.doc] if x.article == p.article}
        negs = [x.indexed for x in pool]
        negs += bm25_negatives(lex, passages, query, max(0, negatives - len(negs)), exclude)
        groups.append(Group("reference", f"ref:{p.row}", query, [p.indexed], negs[:negatives]))
    return groups


def title_groups(passages: Sequence[Passage], lex: LexicalIndex, negatives: int) -> list[Group]:
    """Document title -> its first two chunks."""
    by_doc: dict[int, list[Passage]] = defaultdict(list)
    for p in passages:
        by_doc[p.doc].append(p)
    groups = []
    for doc, parts in sorted(by_doc.items()):
        parts.sort(key=lambda p: p.ordinal)
        title = parts[0].title
        positives = [p.indexed for p in parts[:2] if len(p.text) >= 80]
        if not positives:
            continue
        exclude = {p.row for p in parts}
        groups.append(Group("title", f"title:{doc}", title, positives,
                            bm25_negatives(lex, passages, title, negatives, exclude)))
    return groups


def cloze_groups(passages: Sequence[Passage], lex: LexicalIndex, negatives: int,
                 rng: random.Random) -> list[Group]:
    """One sentence of a passage -> the passage without it; negatives first the passage's
    neighbours in its document, then BM25 hits from elsewhere."""
    by_doc: dict[int, list[Passage]] = defaultdict(list)
    for p in passages:
        by_doc[p.doc].append(p)
    groups = []
    for parts in by_doc.values():
        parts.sort(key=lambda p: p.ordinal)
        for i, p in enumerate(parts):
            spans = [s for s in split_spans(p.text)
                     if CLOZE_WORDS[0] <= len(s.of(p.text).split()) <= CLOZE_WORDS[1]]
            if not spans:
                continue
            span = rng.choice(spans)
            rest = f"{p.text[:span.start]} {p.text[span.end:]}".strip()
            if len(rest) < CLOZE_REST:
                continue
            query = span.of(p.text).strip()
            positive = p.indexed.replace(p.text, rest) if p.indexed != p.text else rest
            window = parts[max(0, i - NEIGHBOURS):i + NEIGHBOURS + 1]
            near = [x.indexed for x in window
                    if x is not p and query not in x.text]  # split commi overlap
            exclude = {x.row for x in window}
            negs = near + bm25_negatives(lex, passages, query, negatives, exclude)
            if negs:
                groups.append(Group("cloze", f"cloze:{p.row}", query, [positive],
                                    negs[:negatives]))
    return groups
