"""Legal references in queries (via `ingest.acts`) matched to chunks' acts and locators."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ingest.acts import find_act_references, title_act

MAX_PINNED_PER_REF = 3
FIRST_CHUNK_BONUS = 0.015  # cosine: an article cited without comma leans to its opening
# (kept after measuring on domain.jsonl, which it was not set on: legal_ref R@1 0.727 -> 0.818;
# benchmarks/reference_opening.py, docs/benchmarks-retrieval.md)
ARTICLE_BONUS = 0.1  # in Weights.bonus_unit (a rank-1 hit of a weight-1 list)
ACT_BONUS = 0.1


@dataclass(frozen=True)
class QueryRef:
    """A reference found in a query: act key (or None), article and comma (or None)."""

    act: str | None
    article: str | None
    comma: str | None


def normalise_number(value: str | None) -> str | None:
    """'14 ter' / '14-Ter' / '14ter' → '14-ter'; None stays None."""
    if value is None:
        return None
    text = re.sub(r"\s+", "", str(value).lower()).replace("–", "-")
    text = re.sub(r"^(\d+)-?([a-z]+)$", r"\1-\2", text)
    return text or None


_PARTIAL_ACT = re.compile(
    r"\b(?P<kind>legge|l\.|decreto\s+legislativo|d\.\s*lgs\.?|dlgs|d\.\s*p\.\s*r\.?|dpr)"
    r"\s*(?:n\.?\s*)?(?P<num>\d{1,5})\b(?!\s*/)", re.I)
_COMMA_AFTER = re.compile(r"^\s*,?\s*(?:comma|co\.|c\.)\s*(?P<comma>\d{1,3}(?:\s*-?\s*(?:"
    r"bis|ter|quater|quinquies|sexies|septies|octies|novies|decies)\b)?)",
                          re.I)
MERGE_GAP = 40


def _partial_kind(raw: str) -> str:
    compact = re.sub(r"[\s.]", "", raw.lower())
    return {"l": "legge", "legge": "legge", "dlgs": "dlgs", "decretolegislativo": "dlgs",
            "dpr": "dpr"}.get(compact, compact)


def parse_references(query: str) -> list[QueryRef]:
    """Act/article/comma references mentioned in a query, in order, without duplicates.

    Completes `ingest.acts` for queries: an act named without its year ("legge 241") becomes
    a prefix key ("legge:241/"), a bare article followed closely by an act is attached to it,
    and "co. 3" after an article is read as its comma.
    """
    found = find_act_references(query)
    spans = [r.span for r in found]
    items: list[tuple[tuple[int, int], QueryRef]] = []
    for r in found:
        comma = r.comma
        if r.article and comma is None:
            after = _COMMA_AFTER.match(query[r.article_end or r.span[1]:])
            comma = after.group("comma") if after else None
        items.append((r.span, QueryRef(r.act, normalise_number(r.article),
                                       normalise_number(comma))))
    for m in _PARTIAL_ACT.finditer(query):
        if not any(s <= m.start() < e for s, e in spans):
            key = f"{_partial_kind(m.group('kind'))}:{int(m.group('num'))}/"
            items.append(((m.start(), m.end()), QueryRef(key, None, None)))
    items.sort(key=lambda item: item[0])
    refs: list[QueryRef] = []
    i = 0
    while i < len(items):
        (_, end), ref = items[i]
        if (ref.article and not ref.act and i + 1 < len(items)
                and not items[i + 1][1].article and items[i + 1][1].act
                and items[i + 1][0][0] - end <= MERGE_GAP):
            ref = QueryRef(items[i + 1][1].act, ref.article, ref.comma)
            i += 1
        if (ref.act or ref.article) and ref not in refs:
            refs.append(ref)
        i += 1
    return refs


def document_act(act: str | None, title: str) -> str | None:
    """A document's act key: its metadata's, else the act its title says it *is*."""
    return act or title_act(title)


class ReferenceTable:
    """Rows of a generation grouped by (act, article) and by article, for quick look-up."""

    def __init__(self, acts: Sequence[str | None], articles: Sequence[str | None],
                 commi: Sequence[Sequence[str]]) -> None:
        self._commi = [tuple(normalise_number(c) for c in cs) for cs in commi]
        self._by_act_article: dict[tuple[str, str], list[int]] = {}
        self._by_article: dict[str, list[int]] = {}
        self._by_act: dict[str, list[int]] = {}
        self._first: set[int] = set()
        for row, (act, article) in enumerate(zip(acts, articles, strict=True)):
            art = normalise_number(article)
            if act:
                self._by_act.setdefault(act, []).append(row)
            if art:
                self._by_article.setdefault(art, []).append(row)
                if act:
                    group = self._by_act_article.setdefault((act, art), [])
                    if not group:
                        self._first.add(row)
                    group.append(row)

    def _acts(self, act: str) -> list[str]:
        """Known act keys for a key, or for a prefix key without year ("legge:241/")."""
        if act.endswith("/"):
            return [a for a in self._by_act if a.startswith(act)]
        return [act]

    def _article_rows(self, ref: QueryRef) -> list[int]:
        assert ref.act and ref.article
        return [r for a in self._acts(ref.act)
                for r in self._by_act_article.get((a, ref.article), [])]

    def pinned(self, refs: Sequence[QueryRef], similarity: dict[int, float]) -> list[int]:
        """Rows that must come first: the referenced act's article (and comma) chunks.

        Chunks holding the cited comma come first; then the article's chunks by similarity
        to the query, the article's opening chunk favoured by FIRST_CHUNK_BONUS when no comma
        is cited. At most MAX_PINNED_PER_REF rows per reference (more if many hold the comma).
        """
        out: list[int] = []
        for ref in refs:
            if not (ref.act and ref.article):
                continue
            rows = self._article_rows(ref)
            exact = [r for r in rows if ref.comma and ref.comma in self._commi[r]]
            rest = [r for r in rows if r not in exact]
            bonus = 0.0 if ref.comma else FIRST_CHUNK_BONUS
            score = {r: similarity.get(r, 0.0) + (bonus if r in self._first else 0.0)
                     for r in rows}
            ranked = _by_score(exact, score) + _by_score(rest, score)
            out.extend(ranked[:max(MAX_PINNED_PER_REF, len(exact))])
        return list(dict.fromkeys(out))

    def candidates(self, refs: Sequence[QueryRef]) -> list[int]:
        """Rows of the articles named with their act (what `pinned` chooses from)."""
        out: list[int] = []
        for ref in refs:
            if ref.act and ref.article:
                out.extend(self._article_rows(ref))
        return out

    def bonus(self, refs: Sequence[QueryRef], candidates: Sequence[int]) -> dict[int, float]:
        """Modest bonuses (rank-1 units) for candidates of a named act or a bare article."""
        out: dict[int, float] = {}
        for ref in refs:
            if ref.act and not ref.article:
                rows = {r for a in self._acts(ref.act) for r in self._by_act.get(a, ())}
                weight = ACT_BONUS
            elif ref.article and not ref.act:
                rows = set(self._by_article.get(ref.article, ()))
                weight = ARTICLE_BONUS
            else:
                continue
            for row in candidates:
                if row in rows:
                    out[row] = max(out.get(row, 0.0), weight)
        return out


def _by_score(rows: list[int], score: dict[int, float]) -> list[int]:
    return sorted(rows, key=lambda r: (-score.get(r, 0.0), r))
