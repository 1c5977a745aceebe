"""Issue-4 targets on the shared dev questions, extractive mode (the `eval --answers` path)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answer_eval import answer_questions, evaluate_answers
from index.evaluation import load_questions


@pytest.mark.slow
@pytest.mark.shared
def test_dev_answers_meet_the_targets(shared_service: object, shared_dir: Path) -> None:
    questions = load_questions(shared_dir / "eval" / "dev.jsonl")
    answers = answer_questions(shared_service.ask, questions)  # type: ignore[attr-defined]
    assert all(a.mode == "extractive" for a in answers)
    chunk_text = {h.chunk.id: h.chunk.text for a in answers for h in a.hits}
    for answer in answers:
        for cit in answer.citations:
            assert cit.quote in chunk_text[cit.chunk_id]
    metrics = evaluate_answers(questions, answers)
    details = metrics["details"]
    assert metrics["citation_precision"] >= 0.90, details
    assert metrics["answer_recall"] >= 0.90, details
    assert metrics["abstention"] == 1.0, details
    assert metrics["false_abstention"] <= 0.10, details
