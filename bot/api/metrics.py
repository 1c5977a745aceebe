"""Prometheus metrics of the HTTP front door (one registry per app, served at /metrics)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Histogram, make_asgi_app
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass
class Metrics:
    """The counters and histograms the API updates."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        reg = self.registry
        self.latency = Histogram("raccordo_http_request_duration_seconds",
                                 "Durata delle richieste HTTP", ["method", "route", "status"],
                                 buckets=LATENCY_BUCKETS, registry=reg)
        self.searches = Counter("raccordo_searches", "Ricerche eseguite", ["channel"],
                                registry=reg)
        self.asks = Counter("raccordo_questions", "Domande a cui si è risposto", ["channel"],
                            registry=reg)
        self.abstentions = Counter("raccordo_abstentions",
                                   "Domande senza risposta nelle fonti", ["channel"],
                                   registry=reg)
        self.ingests = Counter("raccordo_ingests", "Documenti caricati, per esito", ["result"],
                               registry=reg)
        self.deletions = Counter("raccordo_deletions", "Documenti eliminati", registry=reg)
        self.feedback = Counter("raccordo_feedback", "Voti sulle risposte", ["vote"],
                                registry=reg)

    def asgi_app(self) -> ASGIApp:
        """The exporter to mount at /metrics."""
        return make_asgi_app(registry=self.registry)


class LatencyMiddleware:
    """Pure-ASGI middleware observing each HTTP request's latency by route template."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Time the request and record it under its route template (not the raw path)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = {"code": 500}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or _fallback_route(scope)
            self.metrics.latency.labels(scope.get("method", "GET"), template,
                                        str(status["code"])).observe(time.perf_counter() - start)


def _fallback_route(scope: Scope) -> str:
    """Bounded label for requests that matched no route (static files, metrics, 404s)."""
    path = str(scope.get("path", ""))
    for prefix in ("/static", "/metrics", "/static-offline-docs"):
        if path.startswith(prefix):
            return prefix
    return "other"
