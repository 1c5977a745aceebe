"""Our written training questions: valid, matched to the corpus, and never near a reported
question (training.data.near_duplicates)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from answers_kit import build_store

from index.evaluation import Question, Relevant, load_questions
from index.relevance import evidence_found
from training.data import WRITTEN, near_duplicates, stored_passages, unreported


def test_near_duplicates_are_found_by_shared_words() -> None:
    reported = [Question("d1", "Chi nomina i responsabili degli uffici e dei servizi?")]
    written = [Question("w1", "Chi nomina i responsabili degli uffici?"),
               Question("w2", "Entro quando si approva il rendiconto della gestione?")]
    assert near_duplicates(written, reported) == {"w1"}
    assert near_duplicates(written, []) == set()


def _on(qid: str, evidence: str) -> Question:
    return Question(qid, "Domanda?", relevant=(Relevant("tuel.md", evidence),))


def test_a_question_on_a_reported_passage_is_left_out(tmp_path: Path) -> None:
    store = build_store(tmp_path)
    passages, chunks = stored_passages(store)
    comma1 = "Spetta ai dirigenti la direzione degli uffici e dei servizi"
    comma3 = "Sono attribuiti ai dirigenti tutti i compiti di attuazione degli obiettivi"
    written = [_on("w1", comma1), _on("w3", comma3)]
    assert unreported(written, [_on("d1", comma1)], passages, chunks) == {"w3"}
    assert unreported(written, [], passages, chunks) == {"w1", "w3"}
    store.close()


def test_the_written_questions_load_and_cite_corpus_files() -> None:
    questions = load_questions(WRITTEN)
    assert len(questions) >= 150
    assert len({q.id for q in questions}) == len(questions)
    for q in questions:
        assert q.answerable and q.question.endswith("?")
        for rel in q.relevant:
            assert 5 <= len(rel.evidence.split()) <= 40


@pytest.mark.shared
def test_no_written_question_is_near_a_reported_one(shared_dir: Path) -> None:
    reported = [*load_questions(shared_dir / "eval" / "dev.jsonl"),
                *load_questions(shared_dir / "eval" / "domain.jsonl")]
    assert near_duplicates(load_questions(WRITTEN), reported) == set()


@pytest.mark.shared
def test_every_written_question_has_its_passage_in_the_corpus(shared_service: Any) -> None:
    store = shared_service.store
    texts = {Path(d.file).name: [c.text for c in store.chunks(d.id)]
             for d in store.documents()}
    missing = [q.id for q in load_questions(WRITTEN)
               if not any(evidence_found(r.evidence, text) for r in q.relevant
                          for text in texts.get(Path(r.file).name, []))]
    assert missing == []
