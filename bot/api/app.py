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
    routes_documents,
    routes_health,
    routes_network,
    routes_pages,
    routes_search,
)
from bot.api.deps import READ_SCHEME
from bot.api.errors import install_error_handlers
from bot.api.guards import BodyLimitMiddleware, SecurityHeadersMiddleware
from bot.api.metrics import LatencyMiddleware, Metrics
from bot.api.readiness import Readiness
from bot.app.service import Raccordo

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"

DESCRIPTION = """API di Raccordo: ricerca ibrida e risposte citate (atto, articolo, comma,
pagina) sulla base di conoscenza delle Città metropolitane.

Le letture sono aperte salvo `RACCORDO_API_REQUIRE_KEY=true`; caricare o eliminare documenti
richiede una chiave API con ruolo `write` (`raccordo apikey create --role write`), inviata come
`Authorization: Bearer …`. Gli errori sono JSON: `{"error": {"code", "message"}}`."""


Addon = tuple[APIRouter, Callable[[], AbstractAsyncContextManager[Any]]]
"""A router mounted beside the API's own, with a context entered for the app's lifetime
(the Telegram webhook is one; the CLI, which starts both front doors, passes it in)."""


def create_app(service: Raccordo, addons: Sequence[Addon] = ()) -> FastAPI:
    """The HTTP front door over one `Raccordo` service (which the caller closes)."""
    readiness = Readiness(service)
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        readiness.start()  # model and index load in a thread: /readyz is 503 until done
        async with AsyncExitStack() as stack:
            for _, running in addons:
                await stack.enter_async_context(running())
            yield

    app = FastAPIOffline(
        title="Raccordo API", version="0.1.0", description=DESCRIPTION, lifespan=lifespan,
        swagger_ui_parameters={"validatorUrl": None},
    )
    app.state.service = service
    app.state.metrics = metrics
    app.state.readiness = readiness
    install_error_handlers(app)
    for router_module in (routes_health, routes_search, routes_documents, routes_pages,
                          routes_network):
        app.include_router(router_module.router)
    for router, _ in addons:
        app.include_router(router)
    if not service.settings.api_require_key:
        optional_reads(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.mount("/metrics", metrics.asgi_app(), name="metrics")
    app.add_middleware(BodyLimitMiddleware,
                       upload_bytes=service.settings.max_upload_mb * 1024 * 1024)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(LatencyMiddleware, metrics=metrics)
    return app


def optional_reads(app: FastAPI) -> None:
    """Declare the read key optional in /openapi.json (`security: [{}, {read}]`)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                security = operation.get("security") if isinstance(operation, dict) else None
                if security and all(set(s) == {READ_SCHEME} for s in security):
                    operation["security"] = [{}, *security]
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
