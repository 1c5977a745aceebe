"""Extractive answers: pick the sentences of the top passages that answer the question.

Each sentence of the first passages is scored against the question:
`w_focus · sentence overlap + w_passage · passage overlap + w_prior · retrieval prior
+ w_number · number`, where overlap is the IDF-weighted share of the question's content terms
found (index analyzer, see `bot.answers.terms`; the sentence side also down-weights terms that every
candidate passage shares), the passage overlap includes the chunk's context header (title and
article), and the prior mixes rank with the fused, dense and BM25 scores relative to the best.
docs/answers.md states the defaults. Quotes are exact
substrings of the chunk text; near-duplicates are dropped; 1 to 4 quotes are kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from index.coverage import coverage, focus_weight
from index.models import Hit
from index.searcher import PINNED_SCORE
from index.tokenizer import term_set
from ingest.legal import article_number
from ingest.sentences import Span, split_spans

MAX_QUOTE_CHARS = 600
MIN_QUOTE_CHARS = 25
DUPLICATE_JACCARD = 0.6

Weight = Callable[[str], float]
MIN_TITLE_WORDS = 12  # shorter lines without final punctuation are titles, not answers
# A question asks for a quantity when it opens (after a few words) with "quanto/i/a/e", with
# "entro quando/quale/quanto", or with "qual è / che / quale" before a noun of measure.
_MEASURE = (r"(?:numero|importo|soglia|limite|percentuale|quota|durata|termine|scadenza|"
            r"misura|ammontare|entit[àa]|valore|costo|massimo|minimo|periodo|tetto)")
_QUANTITY = re.compile(
    r"^(?:\w+\s+){0,3}?(?:quant[aeio]|entro\s+(?:quando|qual[ei]?|quant[aeio])|"
    r"(?:qual(?:e|\s+è|'è)?|che)\s+(?:(?:il|la|lo|l'|i|le|gli)\s*)?" + _MEASURE + r")\b",
    re.IGNORECASE)
_LETTERA = re.compile(r"^[a-z](?:-[a-z]+)?\)\s")
# Italian number words, built the way the language builds them: units, teens, tens (with
# their elided units: "ventotto", "quarantuno"), hundreds and thousands ("duecentoventi",
# "tremila") and ordinals made from them ("trentesimo", "ventitreesimo"; not "medesimo").
# "Un/uno/una" are articles far more often than numbers, so they are not counted alone.
_UNIT = r"(?:uno|due|tre|quattro|cinque|sei|sette|otto|nove)"
_TEEN = r"(?:dieci|undici|dodici|tredici|quattordici|quindici|sedici|diciassette|diciotto|" \
        r"diciannove)"
_TEN = r"(?:venti?|trenta?|quaranta?|cinquanta?|sessanta?|settanta?|ottanta?|novanta?)"
_BELOW_100 = rf"(?:{_TEN}{_UNIT}?|{_TEEN}|{_UNIT})"
_BELOW_1000 = rf"(?:{_UNIT}?cento{_BELOW_100}?|{_BELOW_100})"
_NUMBER_WORD = rf"(?:(?:{_BELOW_1000}mila|mille){_BELOW_1000}?|{_BELOW_1000})"
_ORDINAL = (r"\w*(?:dic|vent|trent|quarant|cinquant|sessant|settant|ottant|novant|cent|mill|"
            r"un|du|tre|quattr|cinqu|se|sett|ott|nov)esim[oaie]")
_NUMBER = re.compile(rf"\d|\b(?!un[oa]?\b){_NUMBER_WORD}\b|\b{_ORDINAL}\b", re.IGNORECASE)


# numbers that only name a provision ("art. 14-bis, comma 2, lettera d)", "legge n. 78",
# "d.lgs. 33/2013") are not quantities
_REFERENCE = re.compile(
    r"\b(?:art(?:icol[oi])?\.?|comm[ai]|lett(?:er[ae]|\.)|n\.|nn\.|numero|capo|allegato|"
    r"(?:d\.\s?lgs|d\.\s?l|d\.\s?p\.\s?r|l)\.)\s*\d+(?:[-/][\w]+)*(?:\s*(?:,|e)\s*\d+"
    r"(?:[-/]\w+)*)*|\b\d+/\d{4}\b|^\s*\d+(?:-\w+)?\.\s", re.IGNORECASE | re.MULTILINE)


def has_quantity(text: str) -> bool:
    """True when `text` holds a number other than the numbers of provisions it refers to."""
    return bool(_NUMBER.search(_REFERENCE.sub(" ", text)))


@dataclass(frozen=True)
class Quote:
    """A verbatim sentence (or window of one) from a passage, with its score."""

    hit: Hit
    start: int
    end: int
    score: float
    overlap: float  # weighted share of question terms in the sentence
    terms: frozenset[str]

    @property
    def text(self) -> str:
        """The quoted text: an exact substring of the chunk text."""
        return self.hit.chunk.text[self.start:self.end]


@dataclass(frozen=True)
class Selection:
    """Tuning of sentence selection (defaults calibrated on the dev questions)."""

    passages: int = 10  # how many top passages are read
    max_quotes: int = 4
    max_passages: int = 2  # distinct passages cited
    keep_ratio: float = 0.8  # a further quote must score at least this share of the best
    other_passage_ratio: float = 0.8  # ...and this share to bring in another passage
    confident_overlap: float | None = 0.6  # a best quote covering this share: one passage
    # a further passage must bring question terms not yet quoted (off: it dropped more relevant
    # second citations than wrong ones, benchmarks/citation_rules.py)
    distinct_facts: bool = False
    # a further passage is cited only when our model would answer from it alone (Answerer)
    self_supported: bool = True
    # the first quote is the best sentence of the first passage (the searcher's best), when
    # it has one, rather than the best-scoring sentence of any passage
    # (benchmarks/citation_rules.py)
    first_from_top: bool = True
    # of the passages kept for citation, the one our model scores highest is cited first
    # (the order of citations is the order of confidence; benchmarks/citation_rules.py)
    first_by_model: bool = False
    w_focus: float = 0.55  # sentence overlap, terms weighted by global and local rarity
    w_passage: float = 0.20  # passage (context + text) overlap
    w_prior: float = 0.10  # retrieval score and rank
    w_number: float = 0.10  # "quanti/entro quanto" questions: the sentence holds a number


def score_sentences(question: str, hits: Sequence[Hit], *, weight: Weight = lambda t: 1.0,
                    passages: int = 10, selection: Selection | None = None) -> list[Quote]:
    """All candidate quotes of the first `passages` hits, best first."""
    tuning = selection or Selection(passages=passages)
    shown = _referenced(list(hits[:passages]))
    q_terms = term_set(question)
    passage_terms = [term_set(h.chunk.indexed_text()) for h in shown]
    focus = focus_weight(q_terms, passage_terms, weight)
    wants_number = bool(_QUANTITY.match(question.strip()))
    priors = _priors(shown)
    quotes: list[Quote] = []
    for position, (hit, p_terms) in enumerate(zip(shown, passage_terms, strict=True), start=1):
        text = hit.chunk.text
        passage_cov = coverage(q_terms, p_terms, weight)
        prior = priors[position - 1]
        headings = _heading_keys(hit)
        for span in split_spans(text):
            if _is_heading(span.of(text), headings):  # a title restates, it doesn't answer
                continue
            quote = _best_window(text, span, q_terms, focus)
            if quote is None:
                continue
            start, end, s_terms = quote
            number = wants_number and has_quantity(text[start:end])
            score = (tuning.w_focus * coverage(q_terms, s_terms, focus)
                     + tuning.w_passage * passage_cov + tuning.w_prior * prior
                     + tuning.w_number * number)
            quotes.append(Quote(hit, start, end, score, coverage(q_terms, s_terms, weight),
                                s_terms))
    quotes.sort(key=lambda q: (-q.score, q.hit.rank, q.start))
    return quotes


_WORD = re.compile(r"\w+")


def _key(text: str) -> str:
    """Word tokens only, lower case, space-joined (punctuation and markup ignored)."""
    return " ".join(_WORD.findall(text.casefold()))


def _heading_keys(hit: Hit) -> set[str]:
    """The document title and section headings of a passage, as comparison keys."""
    return {_key(t) for t in (hit.document.meta.title, *hit.chunk.locator.section)}


def _is_heading(sentence: str, headings: set[str]) -> bool:
    """True when the sentence is an article heading ("Art. 14-ter. - (Conferenza
    simultanea)") or (a run of words of) the title or a section heading."""
    if article_number(sentence.strip(), heading=False) is not None:
        return True
    key = _key(sentence)
    if len(key.split()) < 3:
        return False
    return any(f" {key} " in f" {h} " for h in headings)


def _referenced(hits: list[Hit]) -> list[Hit]:
    """Only the passages pinned by a reference in the question ("art. 17 della legge 400/1988"),
    when there are any: the question names where the answer is."""
    pinned = [h for h in hits if h.score >= PINNED_SCORE]
    return pinned or hits


def _priors(hits: Sequence[Hit]) -> list[float]:
    """Half rank (1/r), half the mean of the fused, dense and BM25 scores relative to the best."""
    signals: list[list[float]] = []
    for values in ([h.score for h in hits], [h.dense for h in hits], [h.lexical for h in hits]):
        if not values or any(v is None for v in values):
            continue
        top = max(float(v) for v in values if v is not None)
        if top > 0:
            signals.append([max(0.0, float(v or 0.0)) / top for v in values])
    out = []
    for i in range(len(hits)):
        relative = sum(sig[i] for sig in signals) / len(signals) if signals else 0.0
        out.append(0.5 / (i + 1) + 0.5 * relative)
    return out


def select_quotes(question: str, hits: Sequence[Hit], *, weight: Weight = lambda t: 1.0,
                  selection: Selection = Selection()) -> list[Quote]:
    """One to four non-duplicate quotes answering `question`, in answer order."""
    ranked = score_sentences(question, hits, weight=weight, passages=selection.passages,
                             selection=selection)
    if not ranked:
        return []
    best = ranked[0]
    if selection.first_from_top:
        top = _referenced(list(hits[:selection.passages]))[0].chunk.id
        best = next((q for q in ranked if q.hit.chunk.id == top), best)
    chosen = [best]
    cited = {best.hit.chunk.id}
    q_terms = term_set(question)
    for cand in ranked:
        if len(chosen) >= selection.max_quotes:
            break
        if cand is best:
            continue
        new_passage = cand.hit.chunk.id not in cited
        ratio = selection.other_passage_ratio if new_passage else selection.keep_ratio
        if cand.score < ratio * best.score or cand.overlap <= 0:
            continue
        if new_passage and (len(cited) >= selection.max_passages
                            or (selection.confident_overlap is not None
                                and best.overlap >= selection.confident_overlap
                                and cand.score <= best.score)):
            continue
        if any(_near_duplicate(cand, q) for q in chosen):
            continue
        if new_passage and selection.distinct_facts and not _adds_terms(q_terms, cand, chosen):
            continue
        chosen.append(cand)
        cited.add(cand.hit.chunk.id)
    chosen = _with_lead_ins(chosen, selection.max_quotes)
    order = {cid: i for i, cid in enumerate(dict.fromkeys(q.hit.chunk.id for q in chosen))}
    return sorted(chosen, key=lambda q: (order[q.hit.chunk.id], q.start))


def _adds_terms(q_terms: frozenset[str], cand: Quote, chosen: Sequence[Quote]) -> bool:
    """True when `cand` holds a question term that none of the `chosen` quotes holds: a
    further passage is cited for a distinct part of the answer, not to repeat it."""
    quoted = frozenset().union(*(q.terms for q in chosen))
    return bool((q_terms & cand.terms) - quoted)


def _with_lead_ins(chosen: list[Quote], limit: int) -> list[Quote]:
    """Add the lead-in sentence ("...tra i quali:") of quoted lettere, when there is room."""
    out = list(chosen)
    for quote in chosen:
        if len(out) >= limit or not _LETTERA.match(quote.text):
            continue
        text = quote.hit.chunk.text
        lead = next((sp for sp in reversed(split_spans(text[:quote.start]))
                     if sp.of(text).rstrip().endswith(":")), None)
        if lead is None or any(q.hit.chunk.id == quote.hit.chunk.id and q.start == lead.start
                               for q in out):
            continue
        out.append(Quote(quote.hit, lead.start, lead.end, 0.0, 0.0, term_set(lead.of(text))))
    return out


def _near_duplicate(a: Quote, b: Quote) -> bool:
    """Same text, overlapping spans of one chunk, or mostly the same terms."""
    if a.hit.chunk.id == b.hit.chunk.id and a.start < b.end and b.start < a.end:
        return True
    if " ".join(a.text.split()).lower() == " ".join(b.text.split()).lower():
        return True
    union = a.terms | b.terms
    return bool(union) and len(a.terms & b.terms) / len(union) >= DUPLICATE_JACCARD


def _best_window(text: str, span: Span, q_terms: frozenset[str],
                 weight: Weight) -> tuple[int, int, frozenset[str]] | None:
    """The sentence, or its best clause window when it is too long; None for headings."""
    sentence = span.of(text)
    if len(sentence) < MIN_QUOTE_CHARS or sentence.lstrip().startswith("#"):
        return None
    if len(sentence.split()) < MIN_TITLE_WORDS and sentence.rstrip()[-1] not in ".;:!?)»\"'":
        return None
    if len(sentence) <= MAX_QUOTE_CHARS:
        return span.start, span.end, term_set(sentence)
    best: tuple[float, int, int] | None = None
    cuts = _clause_starts(sentence)
    for i, begin in enumerate(cuts):
        end = begin
        for nxt in [*cuts[i + 1:], len(sentence)]:
            if nxt - begin > MAX_QUOTE_CHARS:
                break
            end = nxt
        if end <= begin:
            end = _word_cut(sentence, begin)
        window = sentence[begin:end]
        value = coverage(q_terms, term_set(window), weight)
        if best is None or value > best[0]:
            best = (value, begin, end)
    assert best is not None
    _, begin, end = best
    piece = sentence[begin:end]
    begin += len(piece) - len(piece.lstrip())
    end -= len(piece) - len(piece.rstrip())
    return span.start + begin, span.start + end, term_set(sentence[begin:end])


def _clause_starts(sentence: str) -> list[int]:
    """Offsets where a clause begins: the start, and after '; ' or ': '."""
    starts = [0]
    for i, ch in enumerate(sentence[:-1]):
        if ch in ";:" and sentence[i + 1] == " ":
            starts.append(i + 2)
    return starts


def _word_cut(sentence: str, begin: int) -> int:
    """The end of a MAX_QUOTE_CHARS window from `begin`, cut at a space."""
    limit = begin + MAX_QUOTE_CHARS
    cut = sentence.rfind(" ", begin, limit)
    return cut if cut > begin else min(limit, len(sentence))
