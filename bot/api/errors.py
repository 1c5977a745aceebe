"""HTTP edge of the error hierarchy: stable codes, Italian messages, JSON (or HTML) bodies."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from bot.errors import BadRequest, Busy, Forbidden, NotFound
from ingest.errors import IngestError, NeedsOCR, RaccordoError, StoreError, UnsupportedFormat

log = logging.getLogger(__name__)


class Unauthorized(RaccordoError):
    """No API key, or a key that matches nothing."""

    code = "non_autenticato"


class TooLarge(RaccordoError):
    """An upload or a body above the configured limit."""

    code = "troppo_grande"


class NotReady(RaccordoError):
    """The index, model or database is still loading (or failed to load)."""

    code = "non_pronto"


class ErrorDetail(BaseModel):
    """The error object: a stable machine code and an Italian message."""

    code: str
    message: str


class ErrorBody(BaseModel):
    """Every error response of the API."""

    error: ErrorDetail


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries documenting the error body for status codes."""
    text = {400: "Richiesta non valida", 401: "Chiave API assente o errata",
            403: "Permessi insufficienti", 404: "Non trovato", 413: "Troppo grande",
            422: "Parametri non validi", 429: "Troppe richieste",
            503: "Servizio non pronto o occupato"}
    return {c: {"model": ErrorBody, "description": text.get(c, "Errore")} for c in codes}


READ_ERRORS = responses(400, 401, 403, 422, 429, 503)
WRITE_ERRORS = responses(400, 401, 403, 404, 413, 422, 503)
ID_ERRORS = responses(400, 401, 403, 404, 422, 503)

# (exception class, HTTP status, default code), most specific first
_STATUS: tuple[tuple[type[BaseException], int, str], ...] = (
    (Unauthorized, 401, "non_autenticato"),
    (Forbidden, 403, "accesso_negato"),
    (NotFound, 404, "non_trovato"),
    (TooLarge, 413, "troppo_grande"),
    (BadRequest, 400, "richiesta_non_valida"),
    (NeedsOCR, 422, "serve_ocr"),
    (UnsupportedFormat, 422, "formato_non_supportato"),
    (IngestError, 422, "documento_non_leggibile"),
    (NotReady, 503, "non_pronto"),
    (Busy, 503, "occupato"),
    (StoreError, 503, "archivio_non_disponibile"),
)

_HTTP_CODES = {400: "richiesta_non_valida", 401: "non_autenticato", 403: "accesso_negato",
               404: "non_trovato", 405: "metodo_non_consentito", 413: "troppo_grande",
               415: "tipo_non_supportato", 422: "richiesta_non_valida"}
_HTTP_MESSAGES = {400: "Corpo della richiesta non leggibile.", 404: "Risorsa non trovata.",
                  405: "Metodo HTTP non consentito.", 413: "Richiesta troppo grande.",
                  415: "Tipo di contenuto non supportato."}


def status_of(exc: RaccordoError) -> tuple[int, str]:
    """HTTP status and stable code of a Raccordo error."""
    for cls, status, code in _STATUS:
        if isinstance(exc, cls):
            return status, str(getattr(exc, "code", code))
    # index errors: missing/corrupt index, model mismatch, embedder unavailable
    return 503, str(getattr(exc, "code", "servizio_non_disponibile"))


def error_response(status: int, code: str, message: str,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    """The JSON error body with its status."""
    body = ErrorBody(error=ErrorDetail(code=code, message=message))
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def describe_validation(exc: RequestValidationError) -> str:
    """An Italian summary of what was wrong in the request."""
    parts: list[str] = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "body", "path"))
        parts.append(f"{loc or 'richiesta'}: {_italian(err)}")
    return "Parametri non validi — " + "; ".join(parts) if parts else "Parametri non validi."


def _italian(err: dict[str, Any]) -> str:
    kind = str(err.get("type", ""))
    ctx = err.get("ctx") or {}
    known = {
        "missing": "campo obbligatorio mancante",
        "int_parsing": "deve essere un numero intero",
        "int_type": "deve essere un numero intero",
        "string_type": "deve essere un testo",
        "string_unicode": "testo Unicode non valido",
        "literal_error": f"valore non ammesso (ammessi: {ctx.get('expected', '')})",
        "enum": f"valore non ammesso (ammessi: {ctx.get('expected', '')})",
        "string_too_short": "testo vuoto o troppo corto",
        "string_too_long": f"testo troppo lungo (massimo {ctx.get('max_length', '?')} caratteri)",
        "string_pattern_mismatch": "testo vuoto o non valido",
        "greater_than_equal": f"deve essere almeno {ctx.get('ge', '?')}",
        "less_than_equal": f"deve essere al massimo {ctx.get('le', '?')}",
        "json_invalid": "JSON non valido",
        "model_attributes_type": "deve essere un oggetto JSON",
        "dict_type": "deve essere un oggetto JSON",
        "list_type": "deve essere una lista",
        "too_long": "lista troppo lunga",
        "extra_forbidden": "campo non previsto",
        "bool_parsing": "deve essere vero o falso",
    }
    return known.get(kind, "valore non valido")


def wants_html(request: Request) -> bool:
    """True for the page routes (not the API, health or docs)."""
    path = request.url.path
    if path.startswith(("/api/", "/healthz", "/readyz", "/metrics", "/openapi")):
        return False
    return "text/html" in request.headers.get("accept", "") or path in ("/", "/feedback") \
        or path.startswith(("/documenti", "/revisione"))


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that translate errors at the HTTP edge."""
    app.add_exception_handler(RaccordoError, _raccordo_handler)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_handler)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_handler)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected_handler)


async def _raccordo_handler(request: Request, exc: RaccordoError) -> Response:
    status, code = status_of(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    retry_after = getattr(exc, "retry_after_s", None)
    if retry_after is not None:
        headers = {"Retry-After": str(retry_after)}
    return _render(request, status, code, str(exc) or "Errore.", headers)


async def _validation_handler(request: Request, exc: RequestValidationError) -> Response:
    return _render(request, 422, "richiesta_non_valida", describe_validation(exc), None)


async def _http_handler(request: Request, exc: StarletteHTTPException) -> Response:
    code = _HTTP_CODES.get(exc.status_code, "errore_http")
    detail = exc.detail if isinstance(exc.detail, str) else None
    message = _HTTP_MESSAGES.get(exc.status_code) or detail or "Errore."
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request))
    return _render(request, exc.status_code, code, message, headers or None)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette lists only the first route's)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches({**request.scope, "method": "GET"})
        route_methods = getattr(route, "methods", None)
        if match != Match.NONE and route_methods:
            methods |= set(route_methods)
    return sorted(methods)


async def _unexpected_handler(request: Request, exc: Exception) -> Response:
    log.exception("errore inatteso su %s %s", request.method, request.url.path)
    return _render(request, 500, "errore_interno",
                   "Errore interno del servizio: riprova più tardi.", None)


def _render(request: Request, status: int, code: str, message: str,
            headers: dict[str, str] | None) -> Response:
    if wants_html(request):
        from bot.api.pages import render_error

        return render_error(request, status, message)
    return error_response(status, code, message, headers)
