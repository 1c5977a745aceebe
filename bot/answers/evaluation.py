"""Answer evaluation: citation precision, answer recall, abstention, false abstention.

Relevance is the shared rule (`index.evaluation.is_relevant`): a cited passage is relevant
when it comes from one of the question's files and holds that entry's evidence.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.answers.models import Answer, Citation
from index.evaluation import Question, is_relevant
from index.models import Hit

# issue 11's answer targets (false abstention is an upper bound, the others lower bounds)
TARGETS = {"citation_precision": 0.85, "first_citation_relevant": 0.85, "answer_recall": 0.90,
           "abstention": 0.90, "false_abstention": 0.05}


def cited_hits(answer: Answer) -> list[tuple[Citation, Hit | None]]:
    """Each citation with the passage it points to (None if it is not among the hits)."""
    by_id = {h.chunk.id: h for h in answer.hits}
    return [(c, by_id.get(c.chunk_id)) for c in answer.citations]


def relevant_citations(question: Question, answer: Answer) -> list[bool]:
    """For each citation: is its passage relevant to the question?"""
    return [hit is not None and question.answerable and is_relevant(question, hit)
            for _, hit in cited_hits(answer)]


def answer_questions(ask: Callable[[str], Answer], questions: Sequence[Question]
                     ) -> list[Answer]:
    """Answer every question with `ask` (e.g. `service.ask`), in order."""
    return [ask(q.question) for q in questions]


def evaluate_answers(questions: Sequence[Question], answers: Sequence[Answer]
                     ) -> dict[str, object]:
    """Metrics of answers against questions (same order), plus per-question details."""
    if len(questions) != len(answers):
        raise ValueError("questions and answers differ in number")
    cited = relevant = answered = first_relevant = 0
    answerable = recalled = false_abstained = 0
    no_answer = abstained_ok = 0
    details: list[dict[str, object]] = []
    for q, a in zip(questions, answers, strict=True):
        flags = relevant_citations(q, a)
        cited += len(flags)
        relevant += sum(flags)
        if flags:
            answered += 1
            first_relevant += flags[0]
        if q.answerable:
            answerable += 1
            recalled += any(flags)
            false_abstained += a.abstained
        else:
            no_answer += 1
            abstained_ok += a.abstained and not a.citations
        details.append({"id": q.id, "abstained": a.abstained, "citations": len(flags),
                        "relevant_citations": sum(flags), "answerable": q.answerable})
    return {
        "questions": len(questions),
        "answerable": answerable,
        "no_answer": no_answer,
        "citations": cited,
        "citation_precision": _ratio(relevant, cited),
        "first_citation_relevant": _ratio(first_relevant, answered),
        "answer_recall": _ratio(recalled, answerable),
        "abstention": _ratio(abstained_ok, no_answer),
        "false_abstention": _ratio(false_abstained, answerable),
        "details": details,
    }


def meets_targets(metrics: dict[str, object]) -> dict[str, bool]:
    """Which of issue 11's answer targets the metrics meet."""
    def value(key: str) -> float:
        found = metrics.get(key)
        return float(found) if isinstance(found, int | float) else 0.0

    return {key: (value(key) <= target if key == "false_abstention" else value(key) >= target)
            for key, target in TARGETS.items()}


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0
