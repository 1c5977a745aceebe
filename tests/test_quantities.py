"""Questions that ask for a figure: which figure, which passages state it (first), and
answers declined when no quoted passage states one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from answers_kit import OverlapSearcher, build_store, make_document

from bot.answers.abstention import ABSTENTION_TEXT
from bot.answers.answerer import Answerer
from bot.answers.extractive import Selection
from index.quantities import (
    AMOUNT,
    ARTICLE,
    COUNT,
    TERM,
    asked_quantity,
    missing_quantity,
    stating_first,
)
from ingest.models import Chunk, DocumentMeta, Locator
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
    ("Quanto guadagna il segretario comunale?", AMOUNT),  # pay is an amount too
    ("Quanto prendono i consiglieri comunali a seduta?", AMOUNT),
    ("Qual è il compenso dei componenti dell'OIV?", AMOUNT),
    ("Quale indennità spetta al sindaco metropolitano?", AMOUNT),
    ("Quanto tempo prende la verifica della SCIA?", TERM),
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


def test_passages_stating_the_figure_go_first_in_their_order() -> None:
    texts = ["Il canone si versa al Comune.", "Il canone è di 30 euro l'anno.",
             "Il canone è dovuto per l'occupazione.", "Per i passi carrabili il canone è gratuito."]
    assert stating_first("Quanto si paga di canone per un passo carrabile?", texts) == [1, 3, 0, 2]
    assert stating_first("Chi riscuote il canone?", texts) == [0, 1, 2, 3]  # asks no figure
    assert stating_first("Quanto costa il canone?", texts[:1] + texts[2:3]) == [0, 1]  # none


def test_an_act_date_does_not_put_a_passage_first() -> None:
    texts = ["Il difensore è nominato dal Presidente.",
             "((PERIODO SOPPRESSO DAL D.L. 31 MAGGIO 2021, N. 77)). Il difensore resta in carica.",
             "Il difensore resta in carica tre anni."]
    assert stating_first("Per quanti anni resta in carica il difensore civico?", texts) == [2, 0, 1]


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


class _Searcher:
    """The least a searcher offers the service's ranking: term weights and a search."""

    def term_weight(self, term: str) -> float:
        return 1.0

    def search(self, query: str, k: int = 10, filters: object = None) -> list[object]:
        return []


def test_figures_first_is_off_unless_set(tmp_path: Path) -> None:
    from bot.app.retrieval import passage_search
    from bot.app.settings import Settings
    from index.coverage import CoverageSearch

    default = passage_search(_Searcher(), Settings(data_dir=tmp_path), "raccordo", None)  # type: ignore[arg-type]
    chosen = passage_search(_Searcher(), Settings(data_dir=tmp_path, figures_first=True),  # type: ignore[arg-type]
                            "raccordo", None)
    assert isinstance(default, CoverageSearch) and isinstance(chosen, CoverageSearch)
    assert not default.ranker.figures_first and chosen.ranker.figures_first


def test_a_further_citation_must_state_the_figure_asked_for(tmp_path: Path) -> None:
    store = Store(tmp_path / "mandato.db")
    meta = DocumentMeta(title="Testo unico degli enti locali", kind="decree")
    store.replace_document("shared", make_document("tuel.md", meta), [
        Chunk(0, "Il sindaco e il consiglio comunale durano in carica per un periodo di cinque "
                 "anni.", Locator(article="51", commi=("1",))),
        Chunk(1, "Non può ricoprire la carica di sindaco metropolitano o di consigliere "
                 "comunale chi ha un mandato in corso in altro comune.",
              Locator(article="63", commi=("1",)))])
    question = "Quanto dura il mandato del sindaco e del consiglio comunale?"
    searcher = OverlapSearcher(store)
    plain = Answerer(searcher, threshold=0.0, quantities=False,
                     selection=Selection(confident_overlap=None)).answer(question)
    assert sorted(c.locator[-16:] for c in plain.citations) == ["art. 51, comma 1",
                                                                "art. 63, comma 1"]
    checked = Answerer(searcher, threshold=0.0,
                       selection=Selection(confident_overlap=None)).answer(question)
    assert [c.locator[-16:] for c in checked.citations] == ["art. 51, comma 1"]  # 63: no term
    store.close()
