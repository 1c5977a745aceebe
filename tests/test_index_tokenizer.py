"""The Italian analyzer: elisions, accents, legal tokens, stop-words, stemming."""

from __future__ import annotations

from index.tokenizer import analyze, normalise


def test_elisions_are_stripped() -> None:
    assert analyze("dell'amministrazione") == analyze("amministrazione")
    assert analyze("l'ente, all'ufficio, un'istanza, nell'ambito, sull'albo") == analyze(
        "ente ufficio istanza ambito albo")
    assert "art" in analyze("dell'articolo 5")


def test_typographic_apostrophes_equal_ascii() -> None:
    assert analyze("dell’istanza l’ente") == analyze("dell'istanza l'ente")


def test_normattiva_accents_match_real_accents() -> None:
    assert analyze("citta'") == analyze("città")
    assert analyze("responsabilita' e attivita'") == analyze("responsabilità e attività")
    assert analyze("perche'") == analyze("perché") == []  # a stop-word either way
    assert analyze("e' attribuita") == analyze("è attribuita") == analyze("attribuita")


def test_legal_tokens_stay_whole() -> None:
    terms = analyze("art. 10-bis, comma 1, del d.lgs. 267/2000 e del D.P.R. n. 445/2000")
    for token in ("art", "10-bis", "dlgs", "267/2000", "dpr", "445/2000"):
        assert token in terms
    assert "bis" not in terms
    assert analyze("art. 14 ter") == analyze("art. 14-ter") == analyze("articolo 14-ter")


def test_abbreviations_match_long_forms() -> None:
    assert analyze("co. 3") == analyze("comma 3")
    assert analyze("lett. a)") == analyze("lettera a)")
    assert analyze("L. 241/1990")[0] == analyze("legge 241/1990")[0]


def test_stopwords_and_stemming() -> None:
    assert analyze("il procedimento della amministrazione") == analyze(
        "procedimenti amministrazioni")
    assert "il" not in analyze("il sindaco")


def test_normalise_folds_case_and_width() -> None:
    assert normalise("ＡＲＴ. 5").strip().startswith("art")
