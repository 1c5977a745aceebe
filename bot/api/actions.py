"""What the API and the pages do with a query: search, answer, log, count."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.answers.models import Answer, Turn
from bot.api.metrics import Metrics
from bot.app.service import Raccordo
from bot.errors import BadRequest, NotFound
from index.models import Filters, Hit


def clean_query(service: Raccordo, text: str, *, what: str = "domanda") -> str:
    """The stripped query; empty or over `max_question_chars` is a BadRequest."""
    query = text.strip()
    if not query:
        raise BadRequest(f"La {what} è vuota.")
    limit = service.settings.max_question_chars
    if len(query) > limit:
        raise BadRequest(f"La {what} è troppo lunga: massimo {limit} caratteri.")
    return query


def run_search(service: Raccordo, metrics: Metrics, query: str, *, k: int, filters: Filters,
               channel: str) -> list[Hit]:
    """Ranked passages for a query, counted in the metrics."""
    hits = service.search(clean_query(service, query, what="ricerca"), k=k, filters=filters)
    metrics.searches.labels(channel).inc()
    return hits


def run_ask(service: Raccordo, metrics: Metrics, question: str, *, filters: Filters,
            history: Sequence[Turn], channel: str) -> tuple[Answer, int]:
    """A cited answer and the id of its question-log row (for feedback)."""
    answer = service.ask(clean_query(service, question), history=history, filters=filters)
    metrics.asks.labels(channel).inc()
    if answer.abstained:
        metrics.abstentions.labels(channel).inc()
    question_id = service.appdb.log_answer(answer, channel,
                                           log_questions=service.settings.log_questions)
    return answer, question_id


def answer_json(answer: Answer, question_id: int | None) -> dict[str, Any]:
    """The ask contract, plus citation doc ids, suggestions and the question id."""
    payload = answer.to_json()
    payload["citations"] = [{**c.to_json(), "doc_id": c.doc_id} for c in answer.citations]
    payload["suggestions"] = [h.to_json() for h in answer.suggestions]
    payload["uncertain"] = answer.uncertain
    payload["understood_as"] = answer.rewritten_question
    payload["question_id"] = question_id
    return payload


def record_feedback(service: Raccordo, metrics: Metrics, *, vote: int,
                    question_id: int | None, comment: str | None, channel: str) -> int:
    """Store a vote on an answer; an unknown question id is NotFound."""
    if question_id is not None and not service.appdb.has_question(question_id):
        raise NotFound(f"Nessuna domanda con id {question_id}.")
    text = (comment or "").strip() or None
    feedback_id = service.appdb.add_feedback(channel=channel, vote=vote,
                                             question_id=question_id, comment=text)
    metrics.feedback.labels("up" if vote > 0 else "down").inc()
    return feedback_id
