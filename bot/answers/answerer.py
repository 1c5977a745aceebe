"""The answer composer: follow-up rewriting, retrieval, abstention, extractive or LLM text."""

from __future__ import annotations

import copy
import dataclasses
import logging
from collections.abc import Callable, Sequence
from typing import Protocol

from bot.answers.abstention import (
    CONDITIONAL_NOTE,
    CONDITIONAL_TEXT,
    DEFAULT_THRESHOLD,
    EVIDENCE_PASSAGES,
    ORPHAN_NOTE,
    ORPHAN_TEXT,
    UNCERTAIN_TEXT,
    AbstentionModel,
    Evidence,
    abstention_text,
    declines,
    figure_check,
    followup_unsupported,
    measure,
    suggestions,
    uncertain,
)
from bot.answers.citations import citation_for, locator_text
from bot.answers.extractive import Quote, Selection, score_sentences, select_quotes
from bot.answers.followup import added_terms, is_conditional, is_orphan, rewrite
from bot.answers.llm import LLMClient, LLMError, build_messages, check_answer, renumber
from bot.answers.markup import plain
from bot.answers.models import Answer, Citation, Turn
from bot.answers.termstats import TermWeights
from index.models import Filters, Hit

log = logging.getLogger(__name__)

SEARCH_K = 10
LLM_PASSAGES = 5
MAX_ANSWER_CHARS = 3500
INTRO = "Dalle fonti:"
ALTERNATIVES = 3  # passages offered to check beside an uncertain answer
ALTERNATIVES_HEADER = "Da controllare anche:"


class PassageSearch(Protocol):
    """What the answerer needs from retrieval (index.searcher.Searcher satisfies it)."""

    def search(self, query: str, k: int = 10, filters: Filters = ...) -> list[Hit]:
        """Ranked passages for a query."""
        ...


class RelevanceScorer(Protocol):
    """Reads a question with passages (index.ranking.CrossEncoderRanker satisfies it)."""

    def score(self, query: str, texts: Sequence[str]) -> list[float]:
        """One relevance logit per text."""
        ...


class Answerer:
    """Builds cited answers (or abstentions) from retrieved passages."""

    def __init__(self, searcher: PassageSearch, llm: LLMClient | None = None, *,
                 threshold: float = DEFAULT_THRESHOLD,
                 weight: Callable[[str], float] | None = None,
                 selection: Selection = Selection(),
                 dense_floor: float | None = None,
                 scorer: RelevanceScorer | None = None,
                 abstention: AbstentionModel | None = None,
                 quantities: bool = True) -> None:
        self.searcher = searcher
        self.llm = llm
        self.threshold = threshold
        self.dense_floor = dense_floor
        self.scorer = scorer  # with `abstention`: our model decides when the sources are silent
        self.abstention = abstention
        self.selection = selection
        self.quantities = quantities  # decline when the quotes lack the figure asked for
        self._weight = weight

    def with_searcher(self, searcher: PassageSearch) -> Answerer:
        """The same answerer (LLM, thresholds, floor, term weights) over another searcher."""
        other = copy.copy(self)
        other.searcher = searcher
        return other

    def weight(self, term: str) -> float:
        """Rarity weight of a term: the searcher's IDF, else IDF over its store, else 1."""
        if self._weight is None:
            self._weight = _default_weight(self.searcher)
        return float(self._weight(term))

    def answer(self, question: str, history: Sequence[Turn] = (),
               filters: Filters = Filters()) -> Answer:
        """A cited answer to `question` (history resolves follow-ups), or an abstention; a
        follow-up with no history to resolve it asks for the whole question."""
        if not history and is_orphan(question):
            return Answer(question=question, text=ORPHAN_TEXT, citations=(), abstained=True,
                          notes=(ORPHAN_NOTE,))
        if is_conditional(question):  # glued to the previous question, it finds wrong acts
            return Answer(question=question, text=CONDITIONAL_TEXT, citations=(),
                          abstained=True, notes=(CONDITIONAL_NOTE,))
        query = rewrite(question, history)
        hits = tuple(self.searcher.search(query, k=SEARCH_K, filters=filters))
        evidence, quotes = self._evidence(query, hits)
        if followup_unsupported(added_terms(question, history), query, quotes):
            evidence = dataclasses.replace(evidence, followup_unsupported=True)
        rewritten = query if query != question else None
        if not quotes or self._unsupported(evidence):
            return self._abstain(question, hits, evidence, rewritten)
        if self.llm is not None:
            llm_answer = self._llm_answer(question, query, hits, rewritten)
            if llm_answer is not None:
                return _checked(llm_answer, uncertain(evidence, self.abstention))
        return self._extractive(question, hits, quotes, evidence, rewritten)

    def evidence(self, question: str, hits: Sequence[Hit]) -> Evidence:
        """The evidence for `question` over `hits` (used for calibration)."""
        return self._evidence(question, hits)[0]

    def _evidence(self, question: str, hits: Sequence[Hit]) -> tuple[Evidence, list[Quote]]:
        quotes = select_quotes(question, hits, weight=self.weight, selection=self.selection)
        scores = self._model_scores(question, hits)
        evidence = measure(question, hits, quotes, self.weight, max(scores) if scores else None)
        kept = self._self_supported(question, quotes, hits, scores)
        if self.quantities:  # what is cited must state the figure asked for
            kept, missing = figure_check(question, kept)
            evidence = dataclasses.replace(evidence, missing_quantity=missing)
        return evidence, kept

    def _model_scores(self, question: str, hits: Sequence[Hit]) -> list[float] | None:
        """Our model's relevance logit of each of the first passages (reused when the hits
        were re-ranked by it), or None when it is not loaded."""
        first = hits[:EVIDENCE_PASSAGES]
        if self.scorer is None or self.abstention is None or not first:
            return None
        known = [h.rerank for h in first if h.rerank is not None]
        if len(known) == len(first):
            return known
        return self.scorer.score(question, [h.chunk.indexed_text() for h in first])

    def _self_supported(self, question: str, quotes: list[Quote], hits: Sequence[Hit],
                        scores: list[float] | None) -> list[Quote]:
        """The quotes, without those of a further passage that would be declined on its own
        evidence (our model's score of it with its coverage): a second citation must
        answer the question too, not only share its words."""
        if scores is None or self.abstention is None or not quotes \
                or not self.selection.self_supported:
            return quotes
        logit = {h.chunk.id: s for h, s in zip(hits, scores, strict=False)}
        keep = {quotes[0].hit.chunk.id}
        for cid in {q.hit.chunk.id for q in quotes} - keep:
            own = [q for q in quotes if q.hit.chunk.id == cid]
            if cid in logit and not declines(
                    measure(question, [own[0].hit], own, self.weight, logit[cid]),
                    threshold=self.threshold, dense_floor=None, model=self.abstention):
                keep.add(cid)
        kept = [q for q in quotes if q.hit.chunk.id in keep]
        return _by_model(kept, logit) if self.selection.first_by_model else kept

    def _unsupported(self, evidence: Evidence) -> bool:
        """True when the evidence does not support an answer."""
        return declines(evidence, threshold=self.threshold, dense_floor=self.dense_floor,
                        model=self.abstention)

    # ---- modes -----------------------------------------------------------------------------
    def _abstain(self, question: str, hits: Sequence[Hit], evidence: Evidence,
                 rewritten: str | None) -> Answer:
        closest = suggestions(hits)
        text = abstention_text(closest, locator_text, evidence.unstated_figure,
                               act=evidence.missing_act, city=evidence.missing_city)
        return Answer(question=question, text=text,
                      citations=(), abstained=True, hits=tuple(hits), suggestions=closest,
                      rewritten_question=rewritten,
                      notes=(_why(evidence, self.threshold, self.dense_floor,
                                  self.abstention),))

    def _extractive(self, question: str, hits: Sequence[Hit], quotes: Sequence[Quote],
                    evidence: Evidence, rewritten: str | None) -> Answer:
        numbers: dict[int | None, int] = {}
        citations: list[Citation] = []
        lines: list[str] = []
        doubtful = uncertain(evidence, self.abstention)
        intro = f"{UNCERTAIN_TEXT}\n{INTRO}" if doubtful else INTRO
        starts: dict[int | None, list[int]] = {}
        best: dict[int | None, Quote] = {}
        for quote in quotes:  # the citation quotes the passage's best-scoring sentence
            if quote.hit.chunk.id not in best or quote.score > best[quote.hit.chunk.id].score:
                best[quote.hit.chunk.id] = quote
        for quote in quotes:
            cid = quote.hit.chunk.id
            n = numbers.get(cid, len(numbers) + 1)
            at = [*starts.get(cid, []), quote.start]
            cited = [c for c in citations if c.n != n]
            cited.insert(n - 1, citation_for(quote.hit, n, best[cid].text, at))
            line = f"«{plain(quote.text)}» [{n}]"
            if lines and _length(intro, [*lines, line], cited) > MAX_ANSWER_CHARS:
                continue
            numbers[cid], citations, starts[cid] = n, cited, at
            lines.append(line)
        text = intro + "\n" + "\n".join(lines)
        return _checked(Answer(question=question, text=text, citations=tuple(citations),
                               abstained=False, hits=tuple(hits), mode="extractive",
                               rewritten_question=rewritten,
                               notes=(f"evidenza {evidence.score:.3f}",)), doubtful)

    def _llm_answer(self, question: str, query: str, hits: Sequence[Hit],
                    rewritten: str | None) -> Answer | None:
        assert self.llm is not None
        passages = list(hits[:LLM_PASSAGES])
        try:
            raw = self.llm.complete(build_messages(query, passages))
            checked = check_answer(raw, len(passages))
        except LLMError as exc:
            log.warning("LLM answer discarded, falling back to extractive: %s", exc)
            return None
        text, mapping = renumber(checked)
        citations = [self.cite(query, passages[old - 1], new)
                     for old, new in sorted(mapping.items(), key=lambda kv: kv[1])]
        if _length(text, [], citations) > MAX_ANSWER_CHARS:
            log.warning("LLM answer too long with its sources, falling back to extractive")
            return None
        return Answer(question=question, text=text, citations=tuple(citations),
                      abstained=False, hits=tuple(hits), mode="llm",
                      rewritten_question=rewritten)

    def cite(self, query: str, hit: Hit, n: int = 1) -> Citation:
        """Citation `n` of one passage: its best verbatim sentence for `query` (its opening
        when no sentence scores)."""
        ranked = score_sentences(query, [hit], weight=self.weight, passages=1)
        if ranked:
            return citation_for(hit, n, ranked[0].text, [ranked[0].start])
        text = hit.chunk.text
        opening = text[:300].strip() or text
        return citation_for(hit, n, opening, [text.find(opening)])


def _default_weight(searcher: object) -> Callable[[str], float]:
    """`searcher.term_weight` if offered; else IDF over `searcher.store`; else 1."""
    found = getattr(searcher, "term_weight", None)
    if callable(found):
        return found
    store = getattr(searcher, "store", None)
    if store is not None and callable(getattr(store, "chunks", None)):
        return TermWeights(store)
    return lambda term: 1.0


def source_lines(citations: Sequence[Citation]) -> list[str]:
    """'[1] D.Lgs. 267/2000 (TUEL), art. 107, comma 3' for each citation."""
    return [f"[{c.n}] {c.locator}" for c in citations]


def _checked(answer: Answer, doubtful: bool) -> Answer:
    """An answer given under even odds: flagged, said so before its text, and offered with
    the next passages it does not cite, to check against (the right one is often there)."""
    if not doubtful:
        return answer
    text = answer.text if answer.text.startswith(UNCERTAIN_TEXT) \
        else f"{UNCERTAIN_TEXT}\n{answer.text}"
    return dataclasses.replace(answer, text=text, uncertain=True,
                               suggestions=alternatives(answer))


def alternatives(answer: Answer, place: Callable[[Hit], object] | None = None
                 ) -> tuple[Hit, ...]:
    """The first hits the answer does not cite, one per `place` (by default a provision: two
    pieces of a long comma read as one; passages of a section or a page stay distinct)."""
    where = place or _place
    cited = {c.chunk_id for c in answer.citations}
    seen = {where(h) for h in answer.hits if h.chunk.id in cited}
    others: list[Hit] = []
    for hit in answer.hits:
        if len(others) < ALTERNATIVES and where(hit) not in seen:
            seen.add(where(hit))
            others.append(hit)
    return tuple(others)


def _place(hit: Hit) -> str | int | None:
    """What an official would read as one passage: a provision (act, article, commi), else
    the passage itself."""
    return locator_text(hit) if hit.chunk.locator.article else hit.chunk.id


def render_text(answer: Answer) -> str:
    """Plain-text rendering: the answer, its sources, and for an uncertain answer the
    passages to check too."""
    sources = source_lines(answer.citations)
    text = answer.text + ("\n\nFonti:\n" + "\n".join(sources) if sources else "")
    if answer.uncertain and answer.suggestions:
        text += f"\n\n{ALTERNATIVES_HEADER}\n" + "\n".join(
            f"- {locator_text(h)}" for h in answer.suggestions)
    return text


def _why(evidence: Evidence, threshold: float, dense_floor: float | None,
         model: AbstentionModel | None) -> str:
    """Why the answerer abstained (for logs and notes, never shown as a source)."""
    if evidence.missing_act:
        return f"atto non presente nelle fonti: {evidence.missing_act}"
    if evidence.missing_city:
        return f"città non presente nelle fonti: {evidence.missing_city}"
    if evidence.followup_unsupported:
        return "il passo più vicino non riguarda ciò che la domanda di seguito aggiunge"
    if evidence.unstated_figure:
        return f"la domanda chiede {evidence.unstated_figure}, che i passi trovati non riportano"
    if evidence.below_floor(dense_floor):
        return f"somiglianza {evidence.dense:.3f} < soglia {dense_floor:.3f}"
    if model is not None and evidence.model is not None:
        probability = model.probability(evidence)
        if probability >= model.cutoff:  # declined by the coverage floor, not the model
            return f"evidenza {evidence.score:.3f} < minimo {model.floor:.3f} (modello di riordino)"
        return (f"probabilità di risposta {probability:.3f} < soglia "
                f"{model.cutoff:.3f} (modello di riordino)")
    return f"evidenza {evidence.score:.3f} < soglia {threshold:.3f}"


def _by_model(quotes: list[Quote], logit: dict[int | None, float]) -> list[Quote]:
    """The quotes with the passage our model scores highest first (stable otherwise)."""
    ranked = sorted(dict.fromkeys(q.hit.chunk.id for q in quotes),
                    key=lambda cid: -logit.get(cid, float("-inf")))
    return [q for cid in ranked for q in quotes if q.hit.chunk.id == cid]


def _length(intro: str, lines: Sequence[str], citations: Sequence[Citation]) -> int:
    """Characters of the rendered answer with these lines and sources."""
    body = intro + "\n" + "\n".join(lines) if lines else intro
    sources = source_lines(citations)
    return len(body) + (len("\n\nFonti:\n") + len("\n".join(sources)) if sources else 0)
