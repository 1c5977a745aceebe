"""Follow-up rewriting from the conversation history."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from answers_kit import OverlapSearcher, build_store

from bot.answers.abstention import CONDITIONAL_NOTE, CONDITIONAL_TEXT, ORPHAN_NOTE, ORPHAN_TEXT
from bot.answers.answerer import Answerer
from bot.answers.followup import (
    added_terms,
    asks_only,
    is_conditional,
    is_copula,
    is_followup,
    is_orphan,
    rewrite,
)
from bot.answers.models import Turn
from index.evaluation import load_questions
from index.relevance import evidence_found
from index.tokenizer import term_set
from training.data import WRITTEN

CM = "Quali funzioni fondamentali hanno le città metropolitane secondo il TUEL?"


def test_elliptic_questions_are_detected() -> None:
    assert is_followup("e per le province?")
    assert is_followup("E il sindaco?")
    assert is_followup("questo vale anche per i comuni?")
    assert not is_followup("Le province possono gestire servizi in forma associata?")
    assert not is_followup("Chi nomina il segretario comunale?")


def test_entity_of_the_same_class_is_replaced() -> None:
    assert rewrite("e per le province?", [Turn(CM)]) == (
        "Quali funzioni fondamentali hanno le province secondo il TUEL?")
    assert rewrite("e il consiglio?", [Turn("Chi convoca la giunta comunale?")]) == (
        "Chi convoca il consiglio comunale?")


def test_fragment_is_appended_when_nothing_matches() -> None:
    assert rewrite("e in caso di ritardo?", [Turn("Entro quanto si conclude il procedimento?")]
                   ) == "Entro quanto si conclude il procedimento in caso di ritardo?"


def test_the_replaced_entity_keeps_its_role_with_the_new_article() -> None:
    assert rewrite("e nelle città metropolitane?",
                   [Turn("Chi conferisce gli incarichi dirigenziali nei comuni?")]) == (
        "Chi conferisce gli incarichi dirigenziali nelle città metropolitane?")
    assert rewrite("e i comuni?", [Turn("Chi nomina il segretario della provincia?")]) == (
        "Chi nomina il segretario dei comuni?")
    assert rewrite("e per lo stato?", [Turn("Quali compiti ha la regione?")]) == (
        "Quali compiti ha lo stato?")


def test_what_a_followup_adds() -> None:
    history = [Turn("A chi spetta la direzione degli uffici?")]
    assert added_terms("e nelle città metropolitane?", history) == term_set(
        "città metropolitane")
    assert added_terms("e nelle città metropolitane?", []) == frozenset()
    assert added_terms("Chi nomina il segretario comunale?", history) == frozenset()


def test_chains_of_followups_keep_the_subject() -> None:
    history = [Turn("Chi presiede la città metropolitana di Bari?"), Turn("e quella di Torino?")]
    assert rewrite("e per le province?", history) == "Chi presiede le province di Torino?"


def test_full_questions_and_empty_history_are_unchanged() -> None:
    assert rewrite("e per le province?", []) == "e per le province?"
    q = "Chi nomina il segretario comunale?"
    assert rewrite(q, [Turn(CM)]) == q


def test_answerer_searches_the_rewritten_question(tmp_path: Path) -> None:
    store = build_store(tmp_path)
    searcher = OverlapSearcher(store)
    answer = Answerer(searcher).answer(
        "e per i servizi?", history=[Turn("A chi spetta la direzione degli uffici?")])
    assert searcher.queries[-1] == "A chi spetta la direzione degli uffici per i servizi?"
    assert answer.rewritten_question == searcher.queries[-1]
    assert answer.question == "e per i servizi?"
    assert not answer.abstained
    store.close()


def test_a_followup_is_declined_when_the_passage_is_not_about_what_it_adds(
        tmp_path: Path) -> None:
    store = build_store(tmp_path)
    answerer = Answerer(OverlapSearcher(store))
    history = [Turn("A chi spetta la direzione degli uffici?")]
    answer = answerer.answer("e nelle città metropolitane?", history=history)
    rewritten = "A chi spetta la direzione degli uffici nelle città metropolitane?"
    assert answer.rewritten_question == rewritten
    assert answer.abstained and not answer.citations
    assert "domanda di seguito" in answer.notes[0]
    assert not answerer.answer(rewritten).abstained  # asked whole, the threshold lets it pass
    store.close()


@pytest.mark.parametrize(("question", "orphan"), [
    ("e nelle città metropolitane?", True),
    ("E il sindaco?", True),
    ("Ed il consiglio?", True),
    ("E l'assessore?", True),
    ("anche per le unioni di comuni?", True),
    ("questo vale anche per i comuni?", True),
    ("E possibile usare lo SPID per le istanze online?", False),  # "È possibile…" typed
    ("Anche i comuni devono pubblicare i bilanci consuntivi?", False),  # a question of its own
    ("e quali risultati ha ottenuto?", False),  # it asks: the answerer may try
    ("e nei comuni con meno di 5000 abitanti?", False),  # more than one thing named
    ("accesso civico", False),  # keywords, not a follow-up
    ("e?", False),
    ("entro quale data?", True),  # it asks, but of nothing it names
    ("Quanto dura?", True),
    ("e chi lo nomina?", True),
    ("entro quanti giorni si risponde?", True),
    ("Cos'è pagoPA?", False),  # names what it asks about
    ("Quanto costa pagoPA?", False),
    ("Quali documenti servono?", False),
    ("Chi nomina il segretario comunale?", False),
])
def test_a_question_that_can_only_be_a_followup(question: str, orphan: bool) -> None:
    assert is_orphan(question) is orphan


def test_an_orphan_or_conditional_followup_asks_for_the_whole_question(tmp_path: Path) -> None:
    store = build_store(tmp_path)
    searcher = OverlapSearcher(store)
    answer = Answerer(searcher).answer("e nelle città metropolitane?")
    assert answer.abstained and answer.citations == () and answer.suggestions == ()
    assert answer.text == ORPHAN_TEXT and answer.notes == (ORPHAN_NOTE,)
    assert searcher.queries == []  # nothing is searched, so nothing looks like an answer
    history = [Turn("A chi spetta la direzione degli uffici?")]
    conditional = Answerer(searcher).answer("e se il dirigente manca?", history=history)
    assert conditional.abstained and conditional.citations == ()
    assert conditional.text == CONDITIONAL_TEXT and conditional.notes == (CONDITIONAL_NOTE,)
    assert searcher.queries == []  # not searched either: glued, it finds wrong acts
    with_history = Answerer(searcher).answer("e per i servizi?", history=history)
    assert not with_history.abstained and with_history.rewritten_question
    store.close()


@pytest.mark.parametrize(("question", "conditional"), [
    ("e se non lo approva?", True),
    ("E se l'amministrazione non risponde?", True),
    ("ma se il comune non ha dirigenti?", True),
    ("e invece se la domanda è incompleta?", True),
    ("Se il bilancio non è approvato, cosa succede?", False),  # a whole question
    ("e per i servizi?", False),
    ("Esse sono pubblicate?", False),
])
def test_a_conditional_followup_is_told(question: str, conditional: bool) -> None:
    assert is_conditional(question) is conditional


@pytest.mark.shared
def test_no_question_of_the_eval_sets_is_taken_for_an_orphan_followup(shared_dir: Path) -> None:
    sets = [shared_dir / "eval" / "dev.jsonl", shared_dir / "eval" / "domain.jsonl", WRITTEN,
            shared_dir / "external" / "squad-it" / "questions.jsonl"]
    questions = [q for path in sets for q in load_questions(path)]
    assert len(questions) == 30 + 186 + 241 + 400
    assert [q.question for q in questions if is_orphan(q.question)] == []
    assert [q.question for q in questions if is_conditional(q.question)] == []


@pytest.mark.parametrize("question", [
    "E possibile delegare la firma?",
    "E vero che il segretario può fare il dirigente?",
    "E obbligatorio pubblicare i curricula?",
    "E necessaria la firma digitale per le istanze online?",
    "E stato approvato il regolamento?",
    "E previsto un termine?",
    "E ammessa la delega?",
    "E sufficiente la PEC?",
])
def test_e_typed_for_e_accented_starts_a_whole_question(question: str) -> None:
    history = [Turn("Chi nomina i dirigenti nei comuni?")]
    assert is_copula(question) and not is_followup(question)
    assert rewrite(question, history) == question  # not glued to the previous question
    assert added_terms(question, history) == frozenset()


@pytest.mark.parametrize("question", ["e Bari?", "E Cagliari?", "E a Bari?", "e tutti i comuni?",
                                      "E questo vale anche per i comuni?", "e il sindaco?"])
def test_a_connective_before_a_city_or_a_noun_phrase_is_still_a_followup(question: str) -> None:
    assert not is_copula(question) and is_followup(question)


def test_an_entity_followed_by_more_is_not_swapped_in() -> None:
    history = [Turn("Chi nomina i dirigenti nei comuni?")]
    merged = rewrite("E se il dirigente non risponde?", history)
    assert "non risponde" in merged  # swapping "i dirigenti" alone would drop the condition
    assert rewrite("e nelle città metropolitane?", history) == (
        "Chi nomina i dirigenti nelle città metropolitane?")


@pytest.mark.parametrize(("question", "asks"), [
    ("entro quale data?", True), ("Entro quanti giorni?", True), ("quanto dura?", True),
    ("chi lo nomina?", True), ("E chi l'approva?", True), ("in che modo?", True),
    ("perché?", True), ("come si fa?", True), ("quale sanzione si applica?", True),
    ("entro quando va presentato?", True), ("chi lo deve nominare?", True),
    ("Chi può accedere agli atti?", False),
    ("Cos'è pagoPA?", False), ("Chi è il responsabile della transizione digitale?", False),
    ("come si diventa dirigente?", False), ("Quanto costa pagoPA?", False),
    ("Quali documenti servono?", False), ("Quanti giorni ha il controinteressato?", False),
])
def test_a_question_that_only_asks_is_a_followup(question: str, asks: bool) -> None:
    assert asks_only(question) is asks
    assert is_followup(question) or not asks


@pytest.mark.parametrize(("previous", "question", "expected"), [
    # only an interrogative: the previous question's verb stays ("approva", "si paga")
    ("Chi approva il bilancio di previsione del comune?", "entro quale data?",
     "Entro quale data approva il bilancio di previsione del comune?"),
    ("Chi nomina i responsabili degli uffici e dei servizi?", "con quali criteri?",
     "Con quali criteri nomina i responsabili degli uffici e dei servizi?"),
    ("Chi nomina il segretario comunale?", "entro quanto tempo?",
     "Entro quanto tempo nomina il segretario comunale?"),
    # ...not a verb that says nothing ("ha"), nor after "quanto" and a verb ("quanto dura")
    ("Che compiti ha il segretario comunale?", "e quando?", "Quando il segretario comunale?"),
    ("Chi nomina il segretario comunale?", "quanto dura?", "Quanto dura il segretario comunale?"),
    ("Che compiti ha il segretario comunale?", "e chi lo nomina?",
     "Chi lo nomina il segretario comunale?"),
    ("Che cos'è il piano di riequilibrio finanziario pluriennale?", "quanto dura?",
     "Quanto dura il piano di riequilibrio finanziario pluriennale?"),
    ("Entro quanto tempo deve concludersi il procedimento di accesso civico?",
     "e chi decide?", "Chi decide il procedimento di accesso civico?"),
    ("Come si paga una multa con pagoPA in Piemonte?", "entro quanti giorni?",
     "Entro quanti giorni si paga una multa con pagoPA in Piemonte?"),
    ("Che cos'è il documento unico di programmazione?", "entro quando va presentato?",
     "Entro quando va presentato il documento unico di programmazione?"),
    # "quanto" and a verb, then a noun: the previous topic is the noun's complement, or
    # takes its place when it names the same noun; after the noun asked for, "lo" is a clitic
    ("Chi nomina il segretario comunale?", "quanto dura la nomina?",
     "Quanto dura la nomina del segretario comunale?"),
    ("Chi rilascia l'autorizzazione paesaggistica?", "e quanto dura la validità?",
     "Quanto dura la validità dell'autorizzazione paesaggistica?"),
    ("Che cos'è la tessera elettorale?", "quanto costa la tessera?",
     "Quanto costa la tessera elettorale?"),
    ("Chi approva il bilancio?", "entro quanti giorni lo approva?",
     "Entro quanti giorni lo approva il bilancio?"),
    # no noun phrase to take as the topic: the whole previous question follows
    ("Il sindaco può revocare un assessore?", "entro quando?",
     "Entro quando: il sindaco può revocare un assessore?"),
])
def test_a_question_that_only_asks_takes_the_previous_topic(previous: str, question: str,
                                                             expected: str) -> None:
    assert rewrite(question, [Turn(previous)]) == expected


def test_what_a_question_that_only_asks_adds() -> None:
    history = [Turn("Che compiti ha il segretario comunale?")]
    assert added_terms("e chi lo nomina?", history) == term_set("nomina")
    assert added_terms("entro quanti giorni si risponde?", history) == term_set("risponde")
    # the noun asked for is what the answer states ("entro il 31 dicembre"), not its topic
    assert added_terms("entro quale data?", history) == frozenset()
    assert added_terms("come si fa?", history) == frozenset()  # too short to be a topic



CONVERSATIONS = Path(__file__).parent / "data" / "followups.jsonl"


def test_the_conversations_of_the_followup_benchmark_load() -> None:
    from benchmarks.followups import histories

    questions = load_questions(CONVERSATIONS)
    turns = histories(CONVERSATIONS)
    assert len(questions) >= 10 and set(turns) == {q.id for q in questions}
    assert all(turns[q.id] and q.question.endswith("?") for q in questions)
    assert any(not q.answerable for q in questions)  # one the sources do not answer


@pytest.mark.shared
def test_every_conversation_has_its_passage_in_the_corpus(shared_service: Any) -> None:
    store = shared_service.store
    texts = {Path(d.file).name: [c.text for c in store.chunks(d.id)]
             for d in store.documents()}
    missing = [q.id for q in load_questions(CONVERSATIONS) if q.answerable
               and not any(evidence_found(r.evidence, text) for r in q.relevant
                           for text in texts.get(Path(r.file).name, []))]
    assert missing == []
