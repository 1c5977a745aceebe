"""Answers on the shared dev questions, extractive mode (the `eval --answers` path).

Issue 11's targets (precision and first citation ≥ 0.85, recall ≥ 0.90, no_answer declined
≥ 0.90, false abstention ≤ 5%) are not reached yet: that test is a strict xfail, so CI says so
the day it passes. The floor tests guard what is reached today (docs/answers.md has the figures), on
dev.jsonl and on the 400 SQuAD-it questions (a second set, over its own knowledge base), and
check that questions of one knowledge base are declined by the other.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answers.evaluation import answer_questions, evaluate_answers, meets_targets
from bot.answers.models import Answer
from index.evaluation import Question, load_questions
from training.data import is_training_id


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
    # 0.545 and 0.720 (docs/answers.md, 2026-12-01): the fitted coverage weights lose one
    # of these 25 answerable questions and gain on every larger set
    assert metrics["citation_precision"] >= 0.54, details
    assert metrics["answer_recall"] >= 0.72, details
    assert metrics["abstention"] >= 1.0, details  # our model declines all 5 (docs/answers.md)
    assert metrics["false_abstention"] <= 0.05, details


@pytest.mark.slow
@pytest.mark.shared
def test_dev_citations_name_the_quotes_page_and_link_to_the_article(
        dev_run: tuple[list[Question], list[Answer]]) -> None:
    _, answers = dev_run
    acts = 0
    for answer in answers:
        hits = {h.chunk.id: h for h in answer.hits}
        for cit in answer.citations:
            chunk = hits[cit.chunk_id].chunk
            at = chunk.text.find(cit.quote)
            first, _ = chunk.pages_of(at, at + len(cit.quote))
            if chunk.page_breaks:  # the quote's page, or an earlier one quoted beside it
                assert first is not None and chunk.locator.page_start <= cit.page <= first
            else:
                assert cit.page == chunk.locator.page_start
            if cit.url and "normattiva.it" in cit.url:
                acts += 1
                article = (chunk.locator.article or "").replace("-", "")
                assert cit.url.endswith(f"~art{article}!vig=2025-11-04"), cit.url
    assert acts >= 5


@pytest.mark.slow
@pytest.mark.shared
@pytest.mark.xfail(strict=True, reason="issue-11 answer targets not reached yet")
def test_dev_answers_meet_the_issue_targets(dev_run: tuple[list[Question], list[Answer]]
                                            ) -> None:
    questions, answers = dev_run
    metrics = evaluate_answers(questions, answers)
    assert all(meets_targets(metrics).values()), metrics


@pytest.mark.slow
@pytest.mark.shared
def test_untrained_half_declines_what_the_sources_do_not_state(shared_service: object,
                                                                shared_dir: Path) -> None:
    domain = load_questions(shared_dir / "eval" / "domain.jsonl")
    questions = [q for q in domain if not is_training_id(q.id)]  # no model was trained on them
    answers = answer_questions(shared_service.ask, questions)  # type: ignore[attr-defined]
    metrics = evaluate_answers(questions, answers)
    # 10 of 11 `no_answer` declined (6 before the figure check: "Quanto si paga…", "Quali
    # tariffe…", "Quale articolo…", "Per quanti anni…"), 16 of 82 answerable declined (15
    # until chunking version 9, when v1-006, answered with a passage that does not hold its
    # evidence, became declined; docs/answers.md, 2026-12-02 evening)
    assert metrics["abstention"] >= 0.90, metrics["details"]
    assert metrics["false_abstention"] <= 0.20, metrics["details"]  # 0.195
    assert metrics["citation_precision"] >= 0.62, metrics["details"]  # 0.622


@pytest.fixture(scope="module")
def squad_questions(shared_dir: Path) -> list[Question]:
    """The 400 SQuAD-it questions (general Italian, Wikipedia articles)."""
    return load_questions(shared_dir / "external" / "squad-it" / "questions.jsonl")


@pytest.mark.slow
@pytest.mark.shared
def test_squad_it_answers_keep_the_floor(squad_service: object,
                                         squad_questions: list[Question]) -> None:
    answers = answer_questions(squad_service.ask, squad_questions)  # type: ignore[attr-defined]
    metrics = evaluate_answers(squad_questions, answers)
    assert metrics["citation_precision"] >= 0.70, metrics["citation_precision"]  # 0.714
    assert metrics["answer_recall"] >= 0.80, metrics["answer_recall"]  # 0.812
    assert metrics["false_abstention"] <= 0.02, metrics["false_abstention"]


@pytest.mark.slow
@pytest.mark.shared
def test_questions_the_knowledge_base_does_not_cover_are_declined(
        shared_service: object, squad_questions: list[Question]) -> None:
    answers = answer_questions(shared_service.ask, squad_questions)  # type: ignore[attr-defined]
    declined = [a for a in answers if a.abstained]
    assert all(not a.citations for a in declined)
    assert len(declined) / len(answers) >= 0.95, len(declined)
