"""Closed reads for people: a login form that keeps the API key in an HttpOnly cookie.

With `RACCORDO_API_REQUIRE_KEY=true` every read needs a key: the API takes it as
`Authorization: Bearer …`, the pages (and the page's own fetch calls) from the
`raccordo_chiave` cookie, set by the /accesso form (HttpOnly, SameSite=Strict, Secure on
https). The cookie holds the key itself, so revoking the key ends the session at once.
Health and readiness stay open.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.api.deps import ServiceDep
from bot.api.limits import SESSION_COOKIE
from bot.api.pages import render
from bot.app.appdb import ApiKey
from ingest.errors import RaccordoError

router = APIRouter(include_in_schema=False)

SESSION_HOURS = 8
_UNSAFE_NEXT = re.compile(r"[\\\x00-\x1f\x7f]")


class LoginRequired(RaccordoError):
    """A page was asked for without a valid key while reads are closed."""

    code = "non_autenticato"


def local_path(target: str | None, default: str = "/") -> str:
    """`target` when it is a path on this site, else `default` (no open redirects)."""
    if (not target or not target.startswith("/") or target.startswith("//")
            or _UNSAFE_NEXT.search(target)):
        return default
    return target


def page_key(request: Request, service: ServiceDep) -> ApiKey | None:
    """The key of a page request (header or cookie); LoginRequired when reads are closed."""
    header = request.headers.get("authorization", "")
    secret = header[7:].strip() if header.lower().startswith("bearer ") else None
    secret = secret or request.cookies.get(SESSION_COOKIE)
    key = service.appdb.check_api_key(secret) if secret else None
    if key is None and service.settings.api_require_key:
        raise LoginRequired("Serve una chiave API per consultare Raccordo.")
    return key


PageKey = Annotated[ApiKey | None, Depends(page_key)]


def login_page(request: Request, *, next_path: str, status: int = 200,
               error: str | None = None) -> HTMLResponse:
    """The login form."""
    return render(request, "accesso.html", {"next": local_path(next_path), "error": error},
                  status_code=status)


@router.get("/accesso", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    """The form asking for an API key."""
    return login_page(request, next_path=request.query_params.get("next") or "/")


@router.post("/accesso", response_model=None)
def login(request: Request, service: ServiceDep,
          chiave: Annotated[str, Form(max_length=200)],
          next_path: Annotated[str, Form(alias="next", max_length=2000)] = "/") -> Response:
    """Check the key; on success set the cookie and go back where the user was."""
    secret = chiave.strip()
    if not secret or service.appdb.check_api_key(secret) is None:
        return login_page(request, next_path=next_path, status=401,
                          error="Chiave non valida o revocata.")
    response = RedirectResponse(local_path(next_path), status_code=303)
    response.set_cookie(SESSION_COOKIE, secret, max_age=SESSION_HOURS * 3600, path="/",
                        httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")
    return response


@router.post("/esci")
def logout() -> RedirectResponse:
    """Forget the cookie."""
    response = RedirectResponse("/accesso", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


async def _login_required(request: Request, exc: LoginRequired) -> Response:
    if request.url.path.startswith("/api/"):
        from bot.api.errors import error_response

        return error_response(401, "non_autenticato", str(exc), {"WWW-Authenticate": "Bearer"})
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return login_page(request, next_path=here, status=401)


def install(app: FastAPI) -> None:
    """Add the login routes and the handler that answers closed pages with the form."""
    app.include_router(router)
    app.add_exception_handler(LoginRequired, _login_required)  # type: ignore[arg-type]
