"""Sentence splitting on legal Italian: abbreviations, commi, lettere, real statutes."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from ingest.sentences import split_sentences, split_spans


def test_abbreviations_do_not_cut_references() -> None:
    text = ("Ai sensi dell'art. 3 del D.Lgs. n. 267/2000 e s.m.i. il sindaco provvede. "
            "Cfr. artt. 5 e 6 della L. 241/1990, co. 2, lett. a). Il D.P.R. n. 445/2000 "
            "si applica. Vedi pag. 12 e il d.p.c.m. del 2020. Fine.")
    assert split_sentences(text) == [
        "Ai sensi dell'art. 3 del D.Lgs. n. 267/2000 e s.m.i. il sindaco provvede.",
        "Cfr. artt. 5 e 6 della L. 241/1990, co. 2, lett. a).",
        "Il D.P.R. n. 445/2000 si applica.",
        "Vedi pag. 12 e il d.p.c.m. del 2020.",
        "Fine.",
    ]


def test_commi_and_lettere_start_new_units() -> None:
    text = ("1. Spetta ai dirigenti la direzione degli uffici. Questi si uniformano al principio.\n"
            "2. Sono attribuiti ai dirigenti i compiti seguenti:\n"
            "a) la presidenza delle commissioni di gara;\n"
            "- b) la stipulazione dei contratti;\n"
            "3-bis. Il comma si applica anche agli enti.")
    assert split_sentences(text) == [
        "1. Spetta ai dirigenti la direzione degli uffici.",
        "Questi si uniformano al principio.",
        "2. Sono attribuiti ai dirigenti i compiti seguenti:",
        "a) la presidenza delle commissioni di gara;",
        "b) la stipulazione dei contratti;",
        "3-bis. Il comma si applica anche agli enti.",
    ]


def test_soft_line_breaks_and_lowercase_continuations_do_not_split() -> None:
    text = "Il responsabile del\nprocedimento valuta le condizioni. e poi prosegue.\n\nNuovo."
    assert split_sentences(text) == [
        "Il responsabile del\nprocedimento valuta le condizioni. e poi prosegue.", "Nuovo."]


def test_spans_are_verbatim_and_ordered() -> None:
    text = "  # Titolo\n\nPrima frase, art. 2. Seconda frase!  Terza?\n"
    spans = split_spans(text)
    assert [s.of(text) for s in spans] == ["# Titolo", "Prima frase, art. 2.", "Seconda frase!",
                                           "Terza?"]
    assert all(a.end <= b.start for a, b in itertools.pairwise(spans))


def _shared_text(shared_dir: Path, name: str) -> str:
    return (shared_dir / "corpus" / name).read_text(encoding="utf-8")


@pytest.mark.shared
@pytest.mark.parametrize("name", ["dlgs_267_2000_TUEL_vigente.md",
                                  "legge_241_1990_procedimento_amministrativo_vigente.md"])
def test_real_statutes_never_end_on_a_reference(shared_dir: Path, name: str) -> None:
    text = _shared_text(shared_dir, name)
    sentences = split_sentences(text)
    assert len(sentences) > 400
    dangling = re.compile(r"(?:\bart|\bartt|\bn|\bnn|\bco|\blett|D\.Lgs|D\.P\.R|\bL)\.$")
    bad = [s[-60:] for s in sentences if dangling.search(s)]
    assert bad == []
    # a sentence starts like one: a comma number, a capital, a lettera, a heading, or
    # Normattiva's own markers ("---- AGGIORNAMENTO", "))")
    starts = re.compile(r"^(?:\d|[A-Z(«\"'#]|[a-z](?:-[a-z]+)?\)|-{3,}|\)\))")
    assert [s[:40] for s in sentences if not starts.match(s)] == []


@pytest.mark.shared
def test_tuel_article_107_commi(shared_dir: Path) -> None:
    text = _shared_text(shared_dir, "dlgs_267_2000_TUEL_vigente.md")
    start = text.index("### Articolo 107 -")
    article = text[start:text.index("### Articolo 108", start)]
    sentences = split_sentences(article)
    assert sentences[1] == ("1. Spetta ai dirigenti la direzione degli uffici e dei servizi "
                            "secondo i criteri e le norme dettati dagli statuti e dai "
                            "regolamenti.")
    assert sentences[2].startswith("Questi si uniformano al principio")
    assert "c) la stipulazione dei contratti;" in sentences
    assert any(s.startswith("5. A decorrere dalla data di entrata in vigore") for s in sentences)


@pytest.mark.shared
def test_legge_241_keeps_article_references_whole(shared_dir: Path) -> None:
    text = _shared_text(shared_dir, "legge_241_1990_procedimento_amministrativo_vigente.md")
    sentences = split_sentences(text)
    ref = "dell'articolo 17, comma 3, della legge 23 agosto 1988, n. 400"
    joined = [s for s in sentences if ref in s]
    assert joined and all(s.startswith("3. Con uno o piu' decreti") for s in joined[:1])


def test_section_headings_on_their_own_line_are_their_own_units() -> None:
    text = ("1. SCOPO DEL DOCUMENTO\n"
            "Lo scopo di questa guida è aiutare gli Amministratori Comunali nell'uso\n"
            "dell'applicativo per la gestione dei SERVIZI ONLINE BACK OFFICE, descrivendo le\n"
            "funzionalità.\n"
            "1.1 SISTEMA GESTIONE SERVIZI ONLINE BACK OFFICE\n"
            "Le 10 Aree Vaste possono accedere al sistema.\n"
            "3.1 Compilazione Guidata Attraverso l'inserimento delle credenziali di accesso\n"
            "si accede al sistema di Front Office.")
    assert split_sentences(text) == [
        "1. SCOPO DEL DOCUMENTO",
        "Lo scopo di questa guida è aiutare gli Amministratori Comunali nell'uso\n"
        "dell'applicativo per la gestione dei SERVIZI ONLINE BACK OFFICE, descrivendo le\n"
        "funzionalità.",
        "1.1 SISTEMA GESTIONE SERVIZI ONLINE BACK OFFICE",
        "Le 10 Aree Vaste possono accedere al sistema.",
        # a long numbered line runs into its text: not a heading
        "3.1 Compilazione Guidata Attraverso l'inserimento delle credenziali di accesso\n"
        "si accede al sistema di Front Office.",
    ]
