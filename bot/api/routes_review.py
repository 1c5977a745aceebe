"""The review page: a network coordinator (admin key) names the right passage of each answer
officials voted 👎, or declares that the sources do not answer it (bot/app/reviewqueue.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse

from bot.api.auth import LoginRequired, PageKey
from bot.api.deps import MAX_ID, ServiceDep
from bot.api.pages import render
from bot.app.appdb import ApiKey
from bot.app.review import is_pending, tally
from bot.app.reviewqueue import ReviewQueue, question_of, review_queue
from bot.errors import BadRequest, Forbidden

router = APIRouter(include_in_schema=False)

PASSAGES = 5  # passages proposed per question, as `raccordo feedback review`
QUERY_CHARS = 500
NONE = "nessuno"  # the form's value for "the sources do not answer it"


def coordinator(key: PageKey) -> ApiKey:
    """The admin key of the request; the login form without a key, 403 with a weaker one."""
    if key is None:
        raise LoginRequired("Serve una chiave API con ruolo admin per rivedere le risposte.")
    if not key.allows("admin"):
        raise Forbidden("Solo una chiave con ruolo admin può rivedere le risposte con 👎.")
    return key


CoordinatorKey = Annotated[ApiKey, Depends(coordinator)]


def get_queue(service: ServiceDep) -> ReviewQueue:
    """The answers voted 👎 of this deployment (override in tests)."""
    return review_queue(service)


QueueDep = Annotated[ReviewQueue, Depends(get_queue)]


@router.get("/revisione", response_class=HTMLResponse)
def review_list(request: Request, service: ServiceDep, queue: QueueDep,
                _key: CoordinatorKey) -> HTMLResponse:
    """The answers voted 👎 still to review, those already reviewed, and how many of each."""
    entries = [(question_of(e), e) for e in queue.entries()]
    return render(request, "revisione.html",
                  {"pending": [(i, e) for i, e in entries if is_pending(e)],
                   "done": [(i, e) for i, e in entries if not is_pending(e)],
                   "counts": tally([e for _, e in entries]),
                   "logging": service.settings.log_questions})


@router.get("/revisione/{question_id}", response_class=HTMLResponse)
def review_page(request: Request, question_id: Annotated[int, PathParam(ge=1, le=MAX_ID)],
                queue: QueueDep, _key: CoordinatorKey) -> HTMLResponse:
    """One answer voted 👎: the officials' comments and the passages to choose from; `q`
    searches with other words."""
    entry = queue.entry(question_id)
    query = (request.query_params.get("q") or "").strip()[:QUERY_CHARS]
    search = query or str(entry["question"])
    return render(request, "revisione_domanda.html",
                  {"qid": question_id, "entry": entry, "query": query, "search": search,
                   "candidates": queue.candidates(entry, search, PASSAGES),
                   "remaining": len(queue.pending())})


@router.post("/revisione/{question_id}")
def review_decide(question_id: Annotated[int, PathParam(ge=1, le=MAX_ID)],
                  queue: QueueDep, key: CoordinatorKey,
                  scelta: Annotated[str, Form(max_length=20)],
                  q: Annotated[str, Form(max_length=QUERY_CHARS)] = "") -> RedirectResponse:
    """Record the choice, then go on to the next answer still to review."""
    actor = f"api:{key.id}"
    if scelta == NONE:
        queue.decline(question_id, actor)
    elif scelta.isascii() and scelta.isdigit() and 1 <= int(scelta) <= MAX_ID:
        queue.pick(question_id, int(scelta), q.strip() or None, actor)
    else:
        raise BadRequest(f"Scelta non valida: «{scelta}». Indica un passo o «{NONE}».")
    following = queue.next_after(question_id)
    target = f"/revisione/{following}" if following else "/revisione"
    return RedirectResponse(f"{target}?fatto={question_id}", status_code=303)
