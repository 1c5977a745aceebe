"""HTML pages: search/ask (/), a document in context (/documenti/{id}), feedback form."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from starlette.datastructures import QueryParams

from bot.answers.models import Turn
from bot.api.actions import record_feedback, run_ask, run_search
from bot.api.auth import PageKey, local_path
from bot.api.deps import MAX_ID, MAX_YEAR, MIN_YEAR, MetricsDep, ServiceDep
from bot.api.errors import status_of
from bot.api.pages import KIND_LABELS, filter_choices, render
from bot.api.routes_documents import filter_documents, find_or_404
from bot.errors import BadRequest
from index.models import Filters
from ingest.errors import RaccordoError
from ingest.models import Chunk

router = APIRouter(include_in_schema=False)

MODES = ("cerca", "chiedi")
PAGE_K = 10
PARAM_CHARS = 20_000
MAX_PREVIOUS = 2000  # as a question: the service cuts it to its query limit anyway


@dataclass
class PageForm:
    """The search form as submitted (GET parameters), validated leniently."""

    q: str = ""
    mode: str = "cerca"
    kind: str = ""
    city: str = ""
    year: str = ""
    theme: str = ""
    prima: str = ""  # the previous question (chiedi): what a follow-up continues
    problems: list[str] = field(default_factory=list)

    @classmethod
    def from_params(cls, params: QueryParams) -> PageForm:
        """Read the form; unusable values are dropped with an Italian note."""
        def get(name: str) -> str:
            # over-long queries are kept whole so that the length check can refuse them
            return (params.get(name) or "").strip()[:PARAM_CHARS]

        form = cls(q=get("q"), mode=get("mode"), kind=get("kind"), city=get("city"),
                   year=get("year"), theme=get("theme"), prima=get("prima")[:MAX_PREVIOUS])
        if form.mode not in MODES:
            form.mode = "cerca"
        if form.kind and form.kind not in KIND_LABELS:
            form.problems.append(f"Tipo di atto sconosciuto: «{form.kind}».")
            form.kind = ""
        if form.year and not valid_year(form.year):
            form.problems.append(f"Anno non valido: «{form.year[:20]}».")
            form.year = ""
        return form

    def history(self) -> tuple[Turn, ...]:
        """The conversation a follow-up continues: the previous question, if any."""
        return (Turn(question=self.prima),) if self.prima else ()

    def filters(self) -> Filters:
        """The search filters the form asks for."""
        return Filters(kind=self.kind or None, city=self.city or None,
                       year=int(self.year) if self.year else None, theme=self.theme or None)


def valid_year(text: str) -> bool:
    """True for an ASCII year within the accepted range (never int() of a huge string)."""
    return (len(text) == 4 and text.isascii() and text.isdigit()
            and MIN_YEAR <= int(text) <= MAX_YEAR)


@router.get("/", response_class=HTMLResponse)
def search_page(request: Request, service: ServiceDep, metrics: MetricsDep,
                _key: PageKey) -> HTMLResponse:
    """The search page; with `q`, the results (cerca) or the cited answer (chiedi)."""
    form = PageForm.from_params(request.query_params)
    context: dict[str, Any] = {"form": form, "hits": None, "answer": None,
                               "question_id": None, "error": None}
    status = 400 if form.problems else 200
    if form.q and not form.problems:
        try:
            if form.mode == "chiedi":
                answer, qid = run_ask(service, metrics, form.q, filters=form.filters(),
                                      history=form.history(), channel="web")
                context.update(answer=answer, question_id=qid)
            else:
                context["hits"] = run_search(service, metrics, form.q, k=PAGE_K,
                                             filters=form.filters(), channel="web")
        except RaccordoError as exc:
            status = status_of(exc)[0]
            context["error"] = str(exc)
    context["choices"] = filter_choices(service)
    return render(request, "index.html", context, status_code=status)


@router.get("/documenti", response_class=HTMLResponse)
def documents_page(request: Request, service: ServiceDep, _key: PageKey) -> HTMLResponse:
    """The list of indexed documents, filterable like the search."""
    form = PageForm.from_params(request.query_params)
    docs = filter_documents(service.store.documents(), kind=form.kind or None,
                            city=form.city or None,
                            year=int(form.year) if form.year else None,
                            theme=form.theme or None, status="indexed")
    return render(request, "documenti.html",
                  {"form": form, "docs": docs, "choices": filter_choices(service)},
                  status_code=400 if form.problems else 200)


@router.get("/documenti/{doc_id}", response_class=HTMLResponse)
def document_page(request: Request, doc_id: Annotated[int, PathParam(ge=1, le=MAX_ID)],
                  service: ServiceDep, _key: PageKey) -> HTMLResponse:
    """A document with all its passages; `#chunk-<id>` targets one, `q` highlights terms,
    `cita=<chunk>:<start>-<end>` marks a citation's quote."""
    stored = find_or_404(service, doc_id)
    query = (request.query_params.get("q") or "")[:2000]
    chunks = service.store.chunks(doc_id)
    return render(request, "documento.html",
                  {"doc": stored, "chunks": chunks, "q": query,
                   "quoted": quoted_span(request.query_params.get("cita"), chunks)})


_CITA = re.compile(r"^(\d{1,12}):(\d{1,7})-(\d{1,7})$")


def quoted_span(value: str | None, chunks: Sequence[Chunk]) -> dict[int, tuple[int, int]]:
    """{chunk id: (start, end)} of a quote to mark, when `value` names a span of one of the
    document's passages; {} otherwise (a stale link still opens the document)."""
    match = _CITA.match((value or "")[:40])
    if not match:
        return {}
    chunk_id, start, end = (int(g) for g in match.groups())
    chunk = next((c for c in chunks if c.id == chunk_id), None)
    if chunk is None or not 0 <= start < end <= len(chunk.text):
        return {}
    return {chunk_id: (start, end)}


@router.post("/feedback", response_class=HTMLResponse)
def feedback_form(request: Request, service: ServiceDep, metrics: MetricsDep, _key: PageKey,
                  vote: Annotated[int, Form(ge=-1, le=1)],
                  question_id: Annotated[int | None, Form(ge=1, le=MAX_ID)] = None,
                  back: Annotated[str, Form(max_length=4000)] = "/") -> HTMLResponse:
    """The no-JavaScript path of 👍/👎: store the vote and thank the user."""
    if vote == 0:
        raise BadRequest("Voto non valido: usa 1 (👍) o -1 (👎).")
    record_feedback(service, metrics, vote=vote, question_id=question_id, comment=None,
                    channel="web")
    return render(request, "grazie.html", {"back": local_path(back), "vote": vote})
