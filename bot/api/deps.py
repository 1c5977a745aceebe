"""Request dependencies: the service, API-key checks and search filters."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from bot.api.errors import Unauthorized
from bot.api.limits import SESSION_COOKIE
from bot.api.metrics import Metrics
from bot.app.appdb import ApiKey
from bot.app.service import Raccordo
from bot.app.settings import Settings
from bot.errors import Forbidden
from index.models import Filters
from ingest.models import KINDS

Kind = Literal[KINDS]  # type: ignore[valid-type]
MAX_QUERY_CHARS = int(Settings.model_fields["max_question_chars"].default)
MIN_YEAR, MAX_YEAR = 1800, 2100
MAX_ID = 2_147_483_647  # ids are SQLite rowids; a bound that survives JSON float parsing

READ_SCHEME = "ChiaveLettura"  # optional unless api_require_key (see app.document_security)
WRITE_SCHEME = "ChiaveScrittura"
_read_bearer = HTTPBearer(auto_error=False, scheme_name=READ_SCHEME,
                          description="Chiave API (facoltativa salvo RACCORDO_API_REQUIRE_KEY)")
_write_bearer = HTTPBearer(auto_error=False, scheme_name=WRITE_SCHEME,
                           description="Chiave API con ruolo write o admin")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_read_bearer)]
WriteCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_write_bearer)]


def get_service(request: Request) -> Raccordo:
    """The application object (override in tests with `app.dependency_overrides`)."""
    service: Raccordo = request.app.state.service
    return service


ServiceDep = Annotated[Raccordo, Depends(get_service)]


def _key_for(service: Raccordo, request: Request,
             credentials: HTTPAuthorizationCredentials | None) -> ApiKey | None:
    """The key presented with the request (header, else the page's login cookie).

    A presented but unknown key is refused.
    """
    if credentials is None:
        if request.headers.get("authorization"):
            raise Unauthorized("Intestazione Authorization non valida: usa `Bearer <chiave>`.")
        cookie = request.cookies.get(SESSION_COOKIE)
        return service.appdb.check_api_key(cookie) if cookie else None
    key = service.appdb.check_api_key(credentials.credentials)
    if key is None:
        raise Unauthorized("Chiave API non valida o revocata.")
    return key


def require_read(service: ServiceDep, request: Request,
                 credentials: Credentials) -> ApiKey | None:
    """Read access: open unless `api_require_key`; a wrong key is always refused."""
    key = _key_for(service, request, credentials)
    if key is None and service.settings.api_require_key:
        raise Unauthorized("Serve una chiave API: intestazione `Authorization: Bearer …`.")
    return key


def require_write(service: ServiceDep, request: Request,
                  credentials: WriteCredentials) -> ApiKey:
    """Write access: a key with role write or admin."""
    key = _key_for(service, request, credentials)
    if key is None:
        raise Unauthorized("Serve una chiave API con permesso di scrittura.")
    if not key.allows("write"):
        raise Forbidden("La chiave API non ha il permesso di scrittura.")
    return key


ReadKey = Annotated[ApiKey | None, Depends(require_read)]
WriteKey = Annotated[ApiKey, Depends(require_write)]


def search_filters(
    kind: Annotated[Kind | None, Query(description="Tipo di atto")] = None,
    city: Annotated[str | None, Query(max_length=100, description="Città o area")] = None,
    year: Annotated[int | None, Query(ge=MIN_YEAR, le=MAX_YEAR, description="Anno")] = None,
    document: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Id documento")] = None,
    theme: Annotated[str | None, Query(max_length=100, description="Tema")] = None,
    vigente: Annotated[bool | None, Query(description="Solo disposizioni in vigore")] = None,
) -> Filters:
    """Filters from query parameters; empty strings mean no restriction."""
    return Filters(kind=kind or None, city=(city or "").strip() or None, year=year,
                   document=document, theme=(theme or "").strip() or None, vigente=vigente)


FiltersDep = Annotated[Filters, Depends(search_filters)]


def get_metrics(request: Request) -> Metrics:
    """The app's Prometheus metrics."""
    metrics: Metrics = request.app.state.metrics
    return metrics


MetricsDep = Annotated[Metrics, Depends(get_metrics)]
