"""Answers on the shared dev questions, extractive mode (the `eval --answers` path).

The issue-4 targets (precision and recall ≥ 0.90, every no_answer abstaining, false
abstention ≤ 10%) are not reached yet: that test is a strict xfail, so CI says so the day it
passes. The floor test guards what is reached today (docs/answers.md has the figures).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answer_eval import answer_questions, evaluate_answers, meets_targets
from bot.models import Answer
from index.evaluation import Question, load_questions


@pytest.fixture(scope="module")
def dev_run(shared_service: object, shared_dir: Path) -> tuple[list[Question], list[Answer]]:
    """Every dev question answered once by the shared service."""
    questions = load_questions(shared_dir / "eval" / "dev.jsonl")
    return questions, answer_questions(shared_service.ask, questions)  # type: ignore[attr-defined]


@pytest.mark.slow
@pytest.mark.shared
def test_dev_answers_quote_verbatim_and_keep_the_floor(
        dev_run: tuple[list[Question], list[Answer]]) -> None:
    questions, answers = dev_run
    assert all(a.mode == "extractive" for a in answers)
    for answer in answers:
        texts = {h.chunk.id: h.chunk.text for h in answer.hits}
        for cit in answer.citations:
            assert cit.quote in texts[cit.chunk_id]
        assert answer.abstained == (not answer.citations)
    metrics = evaluate_answers(questions, answers)
    details = metrics["details"]
    assert metrics["citation_precision"] >= 0.35, details
    assert metrics["answer_recall"] >= 0.65, details
    assert metrics["abstention"] >= 0.8, details
    assert metrics["false_abstention"] <= 0.10, details


@pytest.mark.slow
@pytest.mark.shared
@pytest.mark.xfail(strict=True, reason="issue-4 targets not reached by extractive selection yet")
def test_dev_answers_meet_the_issue_targets(dev_run: tuple[list[Question], list[Answer]]
                                            ) -> None:
    questions, answers = dev_run
    metrics = evaluate_answers(questions, answers)
    assert all(meets_targets(metrics).values()), metrics
