"""Follow-up rewriting from the conversation history."""

from __future__ import annotations

from pathlib import Path

from answers_kit import OverlapSearcher, build_store

from bot.answers.answerer import Answerer
from bot.answers.followup import is_followup, rewrite
from bot.answers.models import Turn

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
                   ) == "Entro quanto si conclude il procedimento caso di ritardo?"


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
    assert searcher.queries[-1] == "A chi spetta la direzione degli uffici i servizi?"
    assert answer.rewritten_question == searcher.queries[-1]
    assert answer.question == "e per i servizi?"
    assert not answer.abstained
    store.close()
