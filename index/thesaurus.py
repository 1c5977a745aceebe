"""Words of Italian administrative language that name the same thing, for the lexical side.

An official asks "entro quando il comune deve approvare il bilancio?" where the act says
"gli enti locali … deliberano il bilancio"; BM25 and coverage see no shared word. The table
below holds two kinds of entry, written from the language of the acts (not from the
questions that failed):

- `SYNONYMS`: words and phrases used for one another in administrative Italian ("approvare",
  "deliberare", "adottare" an act; "mutuo", "prestito", "indebitamento"; "giunta", "organo
  esecutivo", the TUEL's name for it);
- `BROADER`: a narrower word of the question that passages name by its broader term: a
  "comune" and a "provincia" are "enti locali" (TUEL art. 2, comma 1), and what an act says
  of "enti locali" it says of each of them. One way only: a question on "enti locali" is not
  about one "comune". Keys are single words (a question is matched term by term), so "città
  metropolitana" is not among them.

Entries are analysed with the BM25 analyzer, so any inflection of a word finds them. A
question term then counts, for BM25, the alternatives' scores at `Thesaurus.weight` (half of
its own: an alternative is a lead, not the word), and for coverage re-ranking, a passage that
holds an alternative (every word of a phrase) is credited as it is for a word of the same
family (`index.coverage.PREFIX_CREDIT`). Answers' evidence checks and quotes read the words
themselves, not this table. Figures: docs/benchmarks-retrieval.md, "A thesaurus".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from index.tokenizer import analyze

SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("approvare", "deliberare", "adottare", "adozione"),
    ("nominare", "designare"),
    ("mutuo", "prestito", "indebitamento"),
    ("assumere", "assunzione", "reclutamento"),
    ("stipendio", "retribuzione", "compenso"),
    ("multa", "sanzione"),
    ("gara", "appalto", "affidamento"),
    ("istanza", "domanda", "richiesta"),
    ("proroga", "differimento", "rinvio"),
    ("termine", "scadenza"),
    ("ricorso", "impugnazione"),
    ("pagamento", "versamento"),
    ("fornitore", "operatore economico"),
    ("giunta", "organo esecutivo"),
    ("consiglio", "organo consiliare"),
    ("preventivo", "bilancio di previsione"),
    ("consuntivo", "rendiconto"),
)
BROADER: Mapping[str, tuple[str, ...]] = {
    "comune": ("ente locale", "enti locali"),
    "provincia": ("ente locale", "enti locali"),
}
EXPANSION_WEIGHT = 0.5  # an alternative's BM25 score counts half of the question's own word

Phrase = tuple[str, ...]  # analysed terms, all of which a passage must hold


@dataclass(frozen=True)
class Thesaurus:
    """Alternatives of analysed question terms: phrases a passage may use in their place."""

    alternatives: Mapping[str, tuple[Phrase, ...]] = field(default_factory=dict)
    weight: float = EXPANSION_WEIGHT

    @classmethod
    def of(cls, synonyms: Iterable[Sequence[str]], broader: Mapping[str, Sequence[str]],
           weight: float = EXPANSION_WEIGHT) -> Thesaurus:
        """A thesaurus from groups of equivalent words and narrower -> broader words. A phrase
        of a group ("organo esecutivo") is an alternative of the group's single words only;
        a narrower word must be one word."""
        table: dict[str, set[Phrase]] = {}
        for group in synonyms:
            phrases = [tuple(analyze(word)) for word in group]
            for phrase in phrases:
                _add(table, phrase, [p for p in phrases if p != phrase])
        for narrow, words in broader.items():
            key = tuple(analyze(narrow))
            if len(key) != 1:
                raise ValueError(f"a narrower word must be one word: {narrow!r}")
            _add(table, key, [tuple(analyze(w)) for w in words])
        return cls({term: tuple(sorted(alts)) for term, alts in table.items()}, weight)

    def expansion(self, terms: Sequence[str]) -> list[str]:
        """The alternatives' terms for a query's analysed `terms`, those already in the query
        left out, sorted (so both backends score the same terms)."""
        asked = set(terms)
        extra = {t for term in asked for phrase in self.alternatives.get(term, ())
                 for t in phrase}
        return sorted(extra - asked)

    def covers(self, term: str, found: frozenset[str]) -> bool:
        """True when `found` holds every term of one of `term`'s alternatives."""
        return any(all(t in found for t in phrase) for phrase in self.alternatives.get(term, ()))


def _add(table: dict[str, set[Phrase]], phrase: Phrase, others: Iterable[Phrase]) -> None:
    """File `others` under a one-word `phrase` (its only term)."""
    if len(phrase) == 1:
        table.setdefault(phrase[0], set()).update(p for p in others if p and p != phrase)


ADMINISTRATIVE = Thesaurus.of(SYNONYMS, BROADER)
