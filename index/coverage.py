"""Coverage re-ranking: the first hits re-ordered by how much of the question they hold.

Hybrid search finds the right document but often puts its overview first ("Scopo del
documento", "Scenario"): the question's topic words are everywhere in that document, and the
overview has them all. What tells the passages of one topic apart are the question's other
words, the ones only some candidates contain, and how close each passage is to the question
in meaning. So the first `depth` hits are re-scored by a linear model of `FEATURES`:

- `fused`: the hybrid score;
- `dense`: the passage's embedding similarity minus the best among the candidates;
- `lexical`: its BM25 score over the best among the candidates;
- `passage` / `passage_focus`: the IDF-weighted share of the question's terms the passage holds
  (BM25's own analyzer and IDF, word families credited, see `coverage()`); `focus` multiplies
  each weight by `1 + ln(N / df_local)` over the candidates, so terms every candidate shares
  count less (local rarity);
- `sentence` / `sentence_focus`: the same for the passage's best sentence: a passage that holds
  the question's terms in one sentence answers it more often than one that scatters them.

`FITTED` weighs them as learnt by `benchmarks/ranking_fit.py` on SQuAD-it's training questions
(never on the shared eval sets) with our fine-tuned e5-small, whose similarity scale the
`dense` weight reads; `HAND_TUNED` is the earlier formula (fused + 0.5 · passage_focus + 0.75 ·
sentence), kept for other embedders. Hits pinned by an explicit reference stay first. With
`figures_first` (off by default), a question that asks for a figure ("entro quanti giorni…",
"quanto costa…") gets the passages stating one first (rules in `index.quantities`): it puts
the right passage first a little more often, but answers then cite a passage with some
figure where they should decline (docs/benchmarks-retrieval.md).
Figures: docs/benchmarks-retrieval.md.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from index.models import Filters, Hit
from index.quantities import stating_first
from index.searcher import PINNED_SCORE
from index.thesaurus import Thesaurus
from index.tokenizer import term_set
from ingest.sentences import split_spans

Weight = Callable[[str], float]

PREFIX_MIN = 6  # stems sharing a prefix this long are one word family (propon-ente, gest-ione)
PREFIX_CREDIT = 0.7  # ...and count this much of an exact match


def coverage(question: frozenset[str], found: frozenset[str], weight: Weight,
             thesaurus: Thesaurus | None = None) -> float:
    """Weighted share of `question` terms present in `found` (0 when the question is empty).

    A term missing from `found` still counts `PREFIX_CREDIT` when one of the found terms
    extends it or is extended by it over at least `PREFIX_MIN` characters: the stemmer keeps
    "propone" and "proponente", or "autenticano" and "autenticazione", apart; and, with a
    `thesaurus`, when `found` holds one of its alternatives ("deliberare" for "approvare").
    """
    total = sum(weight(t) for t in question)
    if total <= 0:
        return 0.0
    got = 0.0
    for term in question:
        if term in found:
            got += weight(term)
        elif in_family(term, found) or (thesaurus is not None and thesaurus.covers(term, found)):
            got += PREFIX_CREDIT * weight(term)
    return got / total


def in_family(term: str, found: frozenset[str]) -> bool:
    """True when a found term extends `term`, or is extended by it, over `PREFIX_MIN`
    characters (a stem of at least `PREFIX_MIN` characters itself)."""
    return len(term) >= PREFIX_MIN and any(same_family(term, other) for other in found)


def same_family(a: str, b: str) -> bool:
    """True when one stem extends the other over at least `PREFIX_MIN` characters."""
    return len(b) >= PREFIX_MIN and (b.startswith(a) or a.startswith(b))


def focus_weight(q_terms: frozenset[str], passage_terms: Sequence[frozenset[str]],
                 weight: Weight) -> Weight:
    """Global rarity times local rarity: terms every candidate passage shares count less."""
    n = max(1, len(passage_terms))
    local = {t: 1.0 + math.log(n / max(1, sum(t in p for p in passage_terms)))
             for t in q_terms}
    return lambda t: weight(t) * local.get(t, 1.0)


def sentence_terms(text: str) -> list[frozenset[str]]:
    """The analysed terms of each sentence of `text`."""
    return [term_set(span.of(text)) for span in split_spans(text)]


def best_coverage(q_terms: frozenset[str], parts: Sequence[frozenset[str]],
                  weight: Weight, thesaurus: Thesaurus | None = None) -> float:
    """The highest coverage of the question by one of `parts` (0 when there is none)."""
    return max((coverage(q_terms, part, weight, thesaurus) for part in parts), default=0.0)


def best_sentence_coverage(q_terms: frozenset[str], text: str, weight: Weight) -> float:
    """The highest coverage of the question by one sentence of `text`."""
    return best_coverage(q_terms, sentence_terms(text), weight)


FEATURES = ("fused", "dense", "lexical", "passage", "passage_focus", "sentence",
            "sentence_focus")


@dataclass(frozen=True)
class RankingWeights:
    """One weight per feature of `FEATURES` (the re-ranking score is their weighted sum)."""

    fused: float = 1.0
    dense: float = 0.0
    lexical: float = 0.0
    passage: float = 0.0
    passage_focus: float = 0.0
    sentence: float = 0.0
    sentence_focus: float = 0.0

    def vector(self) -> tuple[float, ...]:
        """The weights in the order of `FEATURES`."""
        return tuple(getattr(self, name) for name in FEATURES)

    @classmethod
    def of(cls, values: Iterable[float]) -> RankingWeights:
        """Weights given in the order of `FEATURES`."""
        return cls(**dict(zip(FEATURES, map(float, values), strict=True)))


HAND_TUNED = RankingWeights(passage_focus=0.5, sentence=0.75)
# benchmarks/ranking_fit.py: listwise logistic fit on SQuAD-it's 5,101 training questions,
# our fine-tuned e5-small; normalised so that the fused score weighs 1
FITTED = RankingWeights(dense=13.75, lexical=-0.064, passage=0.58, passage_focus=0.32,
                        sentence=1.13, sentence_focus=0.94)


@dataclass(frozen=True)
class CoverageRanker:
    """Re-orders the first `depth` hits by a weighted sum of `FEATURES`."""

    weight: Weight
    weights: RankingWeights = FITTED
    depth: int = 10
    figures_first: bool = False  # a question asking for a figure: passages stating one first
    thesaurus: Thesaurus | None = None  # alternatives of question words credited as found

    def features(self, query: str, hits: Sequence[Hit]) -> list[tuple[float, ...]]:
        """The `FEATURES` of each hit, the candidates being `hits`."""
        q_terms = term_set(query)
        known = {t: self.weight(t) for t in q_terms}  # asked once per question term

        def weight(term: str) -> float:
            return known[term] if term in known else self.weight(term)

        passage_terms = [term_set(h.chunk.indexed_text()) for h in hits]
        focus = focus_weight(q_terms, passage_terms, weight)
        best_dense = max((h.dense for h in hits if h.dense is not None), default=0.0)
        best_lexical = max((h.lexical or 0.0 for h in hits), default=0.0) or 1.0
        rows: list[tuple[float, ...]] = []
        for h, terms in zip(hits, passage_terms, strict=True):
            sentences = sentence_terms(h.chunk.text)
            th = self.thesaurus
            rows.append((h.score, (h.dense - best_dense) if h.dense is not None else 0.0,
                         (h.lexical or 0.0) / best_lexical,
                         coverage(q_terms, terms, weight, th), coverage(q_terms, terms, focus, th),
                         best_coverage(q_terms, sentences, weight, th),
                         best_coverage(q_terms, sentences, focus, th)))
        return rows

    def scores(self, query: str, hits: Sequence[Hit]) -> list[float]:
        """The re-ranking score of each hit: the weighted sum of its features."""
        w = self.weights.vector()
        return [sum(a * b for a, b in zip(w, row, strict=True))
                for row in self.features(query, hits)]

    def run(self, query: str, hits: Sequence[Hit]) -> list[Hit]:
        """The hits with the first `depth` re-ordered, ranks renumbered. Hits pinned by a
        reference keep their place ahead of the others, in the searcher's order. With
        `figures_first`, when the question asks for a term, an amount, an article or a count
        (`index.quantities`), the passages that state one go ahead of those that do not, each
        part in score order."""
        head, tail = list(hits[:self.depth]), list(hits[self.depth:])
        pinned = [h for h in head if h.score >= PINNED_SCORE]
        rest = [h for h in head if h.score < PINNED_SCORE]
        scores = self.scores(query, rest)
        ranked = [rest[i] for i in sorted(range(len(rest)), key=lambda i: (-scores[i], i))]
        if self.figures_first:
            ranked = [ranked[i] for i in stating_first(query, [h.chunk.text for h in ranked])]
        ordered = pinned + ranked + tail
        return [dataclasses.replace(h, rank=r) for r, h in enumerate(ordered, start=1)]


class CoverageSearch:
    """A searcher whose first hits are re-ordered by `CoverageRanker` (same `search()`).

    The ranker weighs terms by the inner searcher's BM25 IDF (`term_weight`); everything
    else (generation, store, term weights) is the inner searcher's.
    """

    def __init__(self, inner: Any, ranker: CoverageRanker | None = None) -> None:
        self.inner = inner
        self.ranker = ranker or CoverageRanker(weight=inner.term_weight)

    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> list[Hit]:
        """The inner search over at least `depth` hits, re-ordered, cut to `k`."""
        hits = self.inner.search(query, k=max(k, self.ranker.depth), filters=filters)
        return self.ranker.run(query, hits)[:k]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)
