"""Practice-network endpoints: similar documents, cross-city comparison, stats, dashboard."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from bot.api.actions import clean_query
from bot.api.auth import PageKey
from bot.api.deps import MAX_ID, MAX_QUERY_CHARS, ReadKey, ServiceDep
from bot.api.errors import READ_ERRORS, responses
from bot.api.pages import render
from bot.api.schemas import FiltersIn, NonBlank
from bot.app.reviewqueue import review_queue
from bot.errors import BadRequest
from bot.network.similar import (
    MAX_TEXT_CHARS,
    resolve_document,
    similar_to_document,
    similar_to_text,
)
from bot.network.stats import since_epoch
from index.models import Filters

router = APIRouter(tags=["rete"])

KParam = Annotated[int, Query(ge=1, le=50, description="Numero di documenti simili")]


class SimilarTextIn(BaseModel):
    """A free-text description of a practice."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS, pattern=NonBlank)
    k: int = Field(default=5, ge=1, le=50)
    exclude_city: str | None = Field(default=None, max_length=100)


class CompareIn(BaseModel):
    """A question to answer city by city, with optional filters (city is ignored)."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=MAX_QUERY_CHARS, pattern=NonBlank)
    filters: FiltersIn = Field(default_factory=FiltersIn)


@router.get("/api/documents/{doc_id}/similar", responses=responses(400, 401, 403, 404, 422),
            summary="Documenti simili (pratiche analoghe)")
def similar_documents(doc_id: Annotated[int, Path(ge=1, le=MAX_ID)], service: ServiceDep,
                      _key: ReadKey, k: KParam = 5,
                      other_cities: Annotated[bool, Query(
                          description="Escludi i documenti della stessa città")] = False
                      ) -> dict[str, Any]:
    """Documents ranked by passage-level similarity, with the passages that match."""
    doc = resolve_document(service.store, doc_id)
    results = similar_to_document(service.network, doc.id, k=k, other_cities=other_cities)
    return {"document": doc.to_json() | {"themes": list(doc.meta.themes)},
            "other_cities": other_cities, "similar": [r.to_json() for r in results]}


@router.post("/api/similar", responses=READ_ERRORS, summary="Pratiche simili a una descrizione")
def similar_text(body: SimilarTextIn, service: ServiceDep, _key: ReadKey) -> dict[str, Any]:
    """Documents similar to a free-text description of a practice."""
    results = similar_to_text(service.network, body.text, k=body.k, exclude_city=body.exclude_city)
    return {"similar": [r.to_json() for r in results]}


@router.post("/api/compare", responses=READ_ERRORS, summary="Confronto tra città")
def compare(body: CompareIn, service: ServiceDep, _key: ReadKey) -> dict[str, Any]:
    """The question answered for each city with material; the cities with nothing."""
    question = clean_query(service, body.question)
    comparison = service.compare(question, Filters(**body.filters.model_dump()))
    return comparison.to_json()


@router.get("/api/stats", responses=READ_ERRORS, summary="Statistiche della rete")
def stats(service: ServiceDep, _key: ReadKey,
          since: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$",
                                             json_schema_extra={"format": "date"},
                                             description="Domande dal giorno (AAAA-MM-GG)")
                           ] = None) -> dict[str, Any]:
    """Aggregates only: documents, contributions, questions per day, gaps, most cited."""
    try:
        day = date.fromisoformat(since) if since else None
    except ValueError as exc:
        raise BadRequest(f"Data non valida: «{since}» (usa AAAA-MM-GG).") from exc
    return service.stats(since_epoch(day)).to_json()


@router.get("/dashboard", response_class=HTMLResponse, include_in_schema=False)
def dashboard(request: Request, service: ServiceDep, _key: PageKey,
              since: str = "") -> HTMLResponse:
    """The collaboration dashboard (HTML; aggregates only, closed like the other pages)."""
    problems: list[str] = []
    day: date | None = None
    if since.strip():
        try:
            day = date.fromisoformat(since.strip())
        except ValueError:
            problems.append(f"Data non valida: «{since.strip()[:20]}» (usa AAAA-MM-GG).")
    data = service.stats(since_epoch(day)).to_json()
    to_review = review_queue(service).counts()["pending"] if data["question_text_shown"] else 0
    return render(request, "dashboard.html", {"s": data, "since": day.isoformat() if day else "",
                                              "problems": problems, "to_review": to_review})
