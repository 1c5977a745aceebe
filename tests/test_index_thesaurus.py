"""The thesaurus of administrative Italian (index.thesaurus) in BM25 and coverage."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.coverage import PREFIX_CREDIT, coverage
from index.lexical import LexicalIndex
from index.pgqueries import query_terms
from index.thesaurus import ADMINISTRATIVE, BROADER, SYNONYMS, Thesaurus
from index.tokenizer import analyze, term_set

BUDGET = ("Gli enti locali deliberano il bilancio di previsione finanziario entro il 31 "
          "dicembre.")
OTHER = "Il sindaco nomina i responsabili degli uffici e dei servizi."
LOAN = "Il ricorso all'indebitamento è ammesso solo per le spese di investimento."


def test_any_inflection_finds_the_alternatives() -> None:
    expanded = ADMINISTRATIVE.expansion(analyze("Entro quando il comune approva il bilancio?"))
    assert set(analyze("deliberano adottato")) <= set(expanded)
    assert set(analyze("enti locali")) <= set(expanded)  # comune -> enti locali
    assert set(analyze("prestiti indebitamento")) <= set(ADMINISTRATIVE.expansion(
        analyze("Si possono accendere mutui?")))


def test_words_of_the_question_are_not_added_again() -> None:
    terms = analyze("Il comune approva e delibera il bilancio")
    assert not set(ADMINISTRATIVE.expansion(terms)) & set(terms)
    assert ADMINISTRATIVE.expansion(analyze("Chi firma la convenzione?")) == []


def test_a_broader_word_does_not_stand_for_a_narrower_one() -> None:
    """What an act says of "enti locali" it says of each "comune", not the reverse."""
    assert "comun" not in ADMINISTRATIVE.expansion(analyze("Cosa spetta agli enti locali?"))


def test_a_phrase_covers_a_word_only_whole() -> None:
    comune = analyze("comune")[0]
    assert ADMINISTRATIVE.covers(comune, term_set("gli enti locali"))
    assert not ADMINISTRATIVE.covers(comune, term_set("gli enti pubblici"))
    assert not ADMINISTRATIVE.covers(analyze("approvare")[0], term_set("il sindaco nomina"))


def test_every_entry_is_analysed_to_something() -> None:
    for word in [w for group in SYNONYMS for w in group] + [*BROADER, *(
            w for words in BROADER.values() for w in words)]:
        assert analyze(word), word
    assert Thesaurus().expansion(analyze("approvare il bilancio")) == []
    with pytest.raises(ValueError, match="one word"):
        Thesaurus.of([], {"città metropolitana": ("enti locali",)})


def test_bm25_counts_an_alternative_at_the_thesaurus_weight() -> None:
    index = LexicalIndex.build([BUDGET, OTHER, LOAN])
    plain = index.scores("approvare il bilancio")
    expanded = index.scores("approvare il bilancio", thesaurus=ADMINISTRATIVE)
    delibera = index.scores("deliberare")
    assert expanded[0] == pytest.approx(plain[0] + ADMINISTRATIVE.weight * delibera[0])
    assert expanded[0] > plain[0] and expanded[1] == plain[1] == 0
    assert index.scores("mutui")[2] == 0 < index.scores("mutui", thesaurus=ADMINISTRATIVE)[2]


def test_postgresql_scores_the_same_terms_at_the_same_weights() -> None:
    terms, weights = query_terms("Il comune approva il bilancio del comune",
                                 thesaurus=ADMINISTRATIVE)
    own = dict(zip(terms, weights, strict=True))
    assert own[analyze("comune")[0]] == 2.0 and own[analyze("bilancio")[0]] == 1.0
    expansion = ADMINISTRATIVE.expansion(analyze("Il comune approva il bilancio del comune"))
    assert [t for t in terms if own[t] == ADMINISTRATIVE.weight] == expansion
    assert query_terms("Il comune approva")[0] == analyze("Il comune approva")


def test_coverage_credits_an_alternative_as_a_word_of_the_same_family() -> None:
    question = term_set("approvare bilancio")
    found = term_set(BUDGET)

    def weight(term: str) -> float:
        return 1.0

    assert coverage(question, found, weight) == 0.5
    assert coverage(question, found, weight, ADMINISTRATIVE) == pytest.approx(
        (1 + PREFIX_CREDIT) / 2)


@pytest.mark.parametrize("on", [True, False])
def test_the_service_uses_it_unless_switched_off(tmp_path: Path, on: bool) -> None:
    from bot.app.service import Raccordo
    from index.coverage import CoverageSearch
    from tests.conftest import make_settings

    service = Raccordo(make_settings(tmp_path, thesaurus=on))
    try:
        search = service.passages
        assert isinstance(search, CoverageSearch)
        expected = ADMINISTRATIVE if on else None
        assert service.searcher.thesaurus is expected and search.ranker.thesaurus is expected
    finally:
        service.close()
