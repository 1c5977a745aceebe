"""The FastAPI application: routers, error handlers, metrics, static files, lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from bot.api import (
    auth,
    routes_documents,
    routes_health,
    routes_network,
    routes_pages,
    routes_review,
    routes_search,
)
from bot.api.deps import READ_SCHEME
from bot.api.errors import Unauthorized, install_error_handlers
from bot.api.guards import BodyLimitMiddleware, SecurityHeadersMiddleware
from bot.api.jobs import UploadJobs
from bot.api.limits import (
    BodyTimeoutMiddleware,
    KeyCheck,
    RateLimitMiddleware,
    SameOriginMiddleware,
    WriteKeyFirstMiddleware,
)
from bot.api.metrics import LatencyMiddleware, Metrics
from bot.api.readiness import Readiness
from bot.api.uploads import ingest_upload
from bot.app.service import Raccordo
from bot.errors import Forbidden
from ingest.errors import RaccordoError

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"

DESCRIPTION = """API di Raccordo: ricerca ibrida e risposte citate (atto, articolo, comma,
pagina) sulla base di conoscenza delle Città metropolitane.

Le letture sono aperte salvo `RACCORDO_API_REQUIRE_KEY=true` (allora ogni lettura, pagine
comprese, chiede una chiave; le pagine tramite il modulo /accesso); caricare o eliminare
documenti richiede una chiave API con ruolo `write` (`raccordo apikey create --role write`),
inviata come `Authorization: Bearer …`. I caricamenti sono acquisiti in background
(`202` e `GET /api/jobs/{id}`). Ogni client ha una quota di richieste al minuto (`429`);
con troppe ricerche in coda la risposta è `503` con `Retry-After`.
Gli errori sono JSON: `{"error": {"code", "message"}}`."""


Addon = tuple[APIRouter, Callable[[], AbstractAsyncContextManager[Any]]]
"""A router mounted beside the API's own, with a context entered for the app's lifetime
(the Telegram webhook is one; the CLI, which starts both front doors, passes it in)."""


def create_app(service: Raccordo, addons: Sequence[Addon] = ()) -> FastAPI:
    """The HTTP front door over one `Raccordo` service (which the caller closes)."""
    readiness = Readiness(service)
    metrics = Metrics()
    settings = service.settings
    jobs = UploadJobs(service, ingest_upload, max_pending=settings.upload_queue,
                      on_done=routes_documents.job_finished(service, metrics))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        readiness.start()  # model and index load in a thread: /readyz is 503 until done
        async with AsyncExitStack() as stack:
            for _, running in addons:
                await stack.enter_async_context(running())
            stack.callback(jobs.close)
            stack.callback(readiness.join)  # the caller closes the service after shutdown
            yield

    app = FastAPIOffline(
        title="Raccordo API", version="0.1.0", description=DESCRIPTION, lifespan=lifespan,
        swagger_ui_parameters={"validatorUrl": None},
    )
    app.state.service = service
    app.state.metrics = metrics
    app.state.readiness = readiness
    app.state.jobs = jobs
    install_error_handlers(app)
    auth.install(app)
    for router_module in (routes_health, routes_search, routes_documents, routes_pages,
                          routes_network, routes_review):
        app.include_router(router_module.router)
    app.include_router(routes_documents.jobs_router)
    for router, _ in addons:
        app.include_router(router)
    document_security(app, optional_reads=not settings.api_require_key)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.mount("/metrics", metrics.asgi_app(), name="metrics")
    # outermost last: metrics > headers > rate > origin > write key > body timeout > size
    app.add_middleware(BodyLimitMiddleware, upload_bytes=settings.max_upload_mb * 1024 * 1024)
    app.add_middleware(BodyTimeoutMiddleware, timeout_s=settings.http_body_timeout_s)
    app.add_middleware(WriteKeyFirstMiddleware, check=write_key_check(service))
    app.add_middleware(SameOriginMiddleware)
    app.add_middleware(RateLimitMiddleware, per_minute=settings.rate_limit_api)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(LatencyMiddleware, metrics=metrics)
    return app


def document_security(app: FastAPI, *, optional_reads: bool) -> None:
    """Finish /openapi.json: 429 on every operation (the per-client rate limit) and, when
    reads are open, the read key declared optional (`security: [{}, {read}]`)."""
    build = app.openapi
    too_many = {"description": "Troppe richieste (quota per client)",
                "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/ErrorBody"}}}}

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                if not isinstance(operation, dict):
                    continue
                operation.setdefault("responses", {}).setdefault("429", too_many)
                security = operation.get("security")
                if (optional_reads and security
                        and all(set(s) == {READ_SCHEME} for s in security)):
                    operation["security"] = [{}, *security]
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def write_key_check(service: Raccordo) -> KeyCheck:
    """The header-only write-key check run before an upload's body is read."""
    def check(header: str | None) -> RaccordoError | None:
        if not header or not header.lower().startswith("bearer "):
            return Unauthorized("Serve una chiave API con permesso di scrittura.")
        key = service.appdb.check_api_key(header[7:].strip())
        if key is None:
            return Unauthorized("Chiave API non valida o revocata.")
        if not key.allows("write"):
            return Forbidden("La chiave API non ha il permesso di scrittura.")
        return None
    return check
