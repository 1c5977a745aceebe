"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from bot.api.errors import NotReady, responses
from bot.api.readiness import Readiness
from bot.api.schemas import HealthOut, ReadyOut

router = APIRouter(tags=["stato"])


@router.get("/healthz", response_model=HealthOut, summary="Il processo è vivo")
async def healthz() -> HealthOut:
    """Always 200 while the process serves HTTP."""
    return HealthOut(status="ok")


@router.get("/readyz", response_model=ReadyOut, responses=responses(503),
            summary="Indice, modello e database caricati")
async def readyz(request: Request) -> ReadyOut:
    """503 until the index, the model and the database are loaded; then what is served."""
    readiness: Readiness = request.app.state.readiness
    if not readiness.ready:
        reason = readiness.error or "Caricamento di indice, modello e database in corso."
        readiness.start()  # retry after a failed load (e.g. the index appeared since)
        raise NotReady(reason)
    return ReadyOut.model_validate(await run_in_threadpool(readiness.status))
