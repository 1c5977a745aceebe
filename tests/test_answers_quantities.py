"""Questions that ask for a figure are declined when no quoted passage states one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from answers_kit import OverlapSearcher, build_store

from bot.answers.abstention import ABSTENTION_TEXT
from bot.answers.answerer import Answerer
from bot.answers.quantities import AMOUNT, ARTICLE, COUNT, TERM, asked_quantity, missing_quantity
from ingest.store import Store


@pytest.mark.parametrize(("question", "kind"), [
    ("Entro quanti giorni l'impresa controinteressata può opporsi?", TERM),
    ("Per quanti anni resta in carica il difensore civico per il digitale?", TERM),
    ("Con i pagamenti POS, entro quanto tempo la banca deve rendicontarli all'ente?", TERM),
    ("In che anno è stato approvato il codice dell'amministrazione digitale?", TERM),
    ("Quanto si paga di diritti di segreteria per una SCIA edilizia?", AMOUNT),
    ("Quali tariffe del canone di occupazione di suolo pubblico applica il Comune?", AMOUNT),
    ("A quanto ammonta l'indennizzo da ritardo per ogni giorno?", AMOUNT),
    ("Qual è l'importo minimo di un avviso pagoPA?", AMOUNT),
    ("Quale articolo del Codice della strada disciplina i passi carrabili?", ARTICLE),
    ("Quanti consiglieri metropolitani elegge la Città metropolitana?", COUNT),
    ("Qual è la soglia per l'affidamento diretto di servizi e forniture?", COUNT),
])
def test_the_figure_a_question_asks_for(question: str, kind: object) -> None:
    assert asked_quantity(question) is kind


@pytest.mark.parametrize("question", [
    "Chi nomina i responsabili degli uffici e dei servizi?",
    "Quando inserisco un'osservazione sui confini devo indicare io i comuni confinanti?",
    "Quando i chicchi di amido possono diventare troppo grandi?",  # "in which case"
    "Un privato presenta la CILA quando i lavori sono finiti: che cosa rischia?",
    "Dopo la segnalazione per l'agibilità, da quando si può utilizzare l'immobile?",
    "Quante volte ho provato a chiamare l'ufficio: a chi devo rivolgermi?",
])
def test_questions_that_ask_for_no_figure(question: str) -> None:
    assert asked_quantity(question) is None


@pytest.mark.parametrize(("kind", "passage"), [
    (TERM, "i procedimenti devono concludersi entro il termine di trenta giorni."),
    (TERM, "I pagamenti effettuati nella giornata T debbono essere rendicontati entro T+2."),
    (TERM, "Il difensore resta in carica 3 anni."),
    (TERM, "alla fine degli anni' 80 fu introdotto nel Mar Nero"),
    (TERM, "con decreto del 4 agosto 2017"),
    (AMOUNT, "una nuova galleria da 43 milioni di sterline"),
    (AMOUNT, "il diritto di segreteria è di 50,00 euro per pratica"),
    (AMOUNT, "la consultazione è a titolo gratuito"),
    (AMOUNT, "una commissione pari all'1,5 %"),
    (ARTICLE, "ai sensi dell'art. 27 del Codice della strada"),
    (ARTICLE, "come previsto dall'articolo 5-bis, comma 2"),
    (COUNT, "il consiglio è composto da diciotto consiglieri"),
    (COUNT, "fino a 140.000 euro"),
])
def test_a_passage_that_states_the_figure(kind: object, passage: str) -> None:
    assert kind.found_in([passage])  # type: ignore[attr-defined]


@pytest.mark.parametrize(("kind", "passage"), [
    (TERM, "Il procedimento si conclude con provvedimento espresso e motivato."),
    (AMOUNT, "Il canone è determinato dal regolamento comunale sulla base delle tariffe."),
    (AMOUNT, "Il costo del servizio è a carico dell'ente."),
    (ARTICLE, "Il Codice della strada disciplina i passi carrabili e il relativo segnale."),
    (TERM, "((PERIODO SOPPRESSO DAL D.L. 31 MAGGIO 2021, N. 77)). Il difensore è nominato."),
    (COUNT, "Si applica il decreto legislativo 18 agosto 2000, n. 267."),
])
def test_a_passage_on_the_topic_without_the_figure(kind: object, passage: str) -> None:
    assert not kind.found_in([passage])  # type: ignore[attr-defined]


def test_missing_quantity_names_what_is_missing() -> None:
    question = "Quanto costa aderire a pagoPA tramite PayFlowPA?"
    assert missing_quantity(question, ["Il manuale illustra le configurazioni."]) == "un importo"
    assert missing_quantity(question, ["", "L'adesione costa 100 euro l'anno."]) is None
    assert missing_quantity("Chi aderisce a pagoPA?", ["Il manuale illustra."]) is None


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    built = build_store(tmp_path)
    yield built
    built.close()


def test_a_term_stated_by_the_quoted_passage_is_answered(store: Store) -> None:
    answer = Answerer(OverlapSearcher(store), threshold=0.0).answer(
        "Entro quanti giorni devono concludersi i procedimenti amministrativi delle "
        "amministrazioni statali?")
    assert not answer.abstained
    assert "trenta giorni" in answer.citations[0].quote


def test_an_amount_no_passage_states_is_declined_and_said(store: Store) -> None:
    question = ("Quanto costa al soggetto intermediario aderire a pagoPA tramite PayFlowPA e "
                "configurare il nodo dei pagamenti?")
    answer = Answerer(OverlapSearcher(store), threshold=0.0).answer(question)
    assert answer.abstained and answer.citations == ()
    assert answer.text.startswith(ABSTENTION_TEXT)
    assert "nessuno indica un importo" in answer.text
    assert answer.notes == ("la domanda chiede un importo, che i passi trovati non riportano",)
    assert answer.suggestions  # the closest passages are still offered, not cited
    without = Answerer(OverlapSearcher(store), threshold=0.0, quantities=False).answer(question)
    assert not without.abstained and without.citations[0].file == "payflow.pdf"


def test_an_absent_act_is_the_reason_given_not_the_figure(store: Store) -> None:
    answer = Answerer(OverlapSearcher(store), threshold=0.0).answer(
        "Secondo il codice dei contratti pubblici, quanto costa la procedura d'appalto dei "
        "dirigenti?")
    assert answer.abstained
    assert answer.notes == ("atto non presente nelle fonti: dlgs:36/2023",)
    assert "nessuno indica" not in answer.text
