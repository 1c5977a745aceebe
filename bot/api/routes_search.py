"""Search, ask and feedback endpoints."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from bot.answers.models import Turn
from bot.api.actions import answer_json, record_feedback, run_ask, run_search
from bot.api.deps import MAX_QUERY_CHARS, FiltersDep, MetricsDep, ReadKey, ServiceDep
from bot.api.errors import READ_ERRORS, responses
from bot.api.schemas import AnswerOut, AskIn, FeedbackIn, FeedbackOut, NonBlank, SearchOut
from index.models import Filters

router = APIRouter(prefix="/api", tags=["ricerca"])

QueryParam = Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS, pattern=NonBlank,
                                  description="Testo della ricerca")]
KParam = Annotated[int, Query(ge=1, le=50, description="Numero di passaggi")]


@router.get("/search", response_model=SearchOut, responses=READ_ERRORS,
            summary="Ricerca ibrida dei passaggi")
def search(q: QueryParam, filters: FiltersDep, service: ServiceDep, metrics: MetricsDep,
           _key: ReadKey, k: KParam = 10) -> dict[str, Any]:
    """Ranked passages (the `raccordo search --json` contract)."""
    hits = run_search(service, metrics, q, k=k, filters=filters, channel="api")
    return {"query": q, "hits": [h.to_json() for h in hits]}


@router.post("/ask", response_model=AnswerOut, responses=READ_ERRORS,
             summary="Risposta citata (o astensione)")
def ask(body: AskIn, service: ServiceDep, metrics: MetricsDep, _key: ReadKey) -> dict[str, Any]:
    """A cited answer (the `raccordo ask --json` contract) plus `question_id` for feedback."""
    filters = Filters(**body.filters.model_dump())
    history = [Turn(question=t.question, answer=t.answer) for t in body.history]
    answer, question_id = run_ask(service, metrics, body.question, filters=filters,
                                  history=history, channel="api")
    return answer_json(answer, question_id)


@router.post("/feedback", response_model=FeedbackOut, status_code=201,
             responses=responses(400, 401, 403, 404, 422, 503),
             summary="Voto (utile o no) su una risposta")
def feedback(body: FeedbackIn, service: ServiceDep, metrics: MetricsDep,
             _key: ReadKey) -> FeedbackOut:
    """Store a vote (1 or -1) on an answer, optionally with a comment."""
    feedback_id = record_feedback(service, metrics, vote=body.vote,
                                  question_id=body.question_id, comment=body.comment,
                                  channel="api")
    return FeedbackOut(id=feedback_id)
