"""ASGI limits at the front door: a fair share per client, keys before bodies, slow bodies.

- `RateLimitMiddleware`: each client (API key, login cookie or else address) gets
  `per_minute` requests a minute (aiolimiter's leaky bucket, with a short burst);
  above it, 429 with Retry-After.
- `WriteKeyFirstMiddleware`: uploads and deletions check the write key from the headers
  before a byte of the body is read (anonymous 15 MB uploads used to fill the disk first).
- `BodyTimeoutMiddleware`: a body that pauses longer than the timeout gets 408.
- `SameOriginMiddleware`: browsers' cross-site POSTs are refused (CSRF on votes and login).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections import OrderedDict
from collections.abc import Callable
from urllib.parse import urlsplit

from aiolimiter import AsyncLimiter
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.api.errors import error_response
from ingest.errors import RaccordoError

SESSION_COOKIE = "raccordo_chiave"
OPEN_PATHS = ("/healthz", "/readyz", "/static/", "/metrics")
MAX_CLIENTS = 10_000  # limiters kept (least recently seen are dropped)
WRITE_PATH = "/api/documents"
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")

KeyCheck = Callable[[str | None], RaccordoError | None]


def client_id(scope: Scope) -> str:
    """Who is asking: a hash of the presented key or cookie, else the peer address."""
    headers = Headers(scope=scope)
    secret = headers.get("authorization") or Request(scope).cookies.get(SESSION_COOKIE)
    if secret:
        return "key:" + hashlib.sha256(secret.encode()).hexdigest()[:16]
    client = scope.get("client")
    return "ip:" + (client[0] if client else "?")


def _path(scope: Scope) -> str:
    return str(scope.get("path", ""))


class RateLimitMiddleware:
    """At most `per_minute` requests a minute per client; 429 with Retry-After beyond."""

    def __init__(self, app: ASGIApp, per_minute: int) -> None:
        self.app = app
        self.per_minute = per_minute
        # a short bucket: 120/min is 10 per 5 s, not a burst of 120 that fills the queues
        self.burst = min(per_minute, max(3, per_minute // 12))
        self._limiters: OrderedDict[str, AsyncLimiter] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Count the request against its client's bucket."""
        if (scope["type"] != "http" or self.per_minute <= 0
                or _path(scope).startswith(OPEN_PATHS)):
            await self.app(scope, receive, send)
            return
        limiter = self._limiter(client_id(scope))
        if not limiter.has_capacity():
            retry = max(1, round(60 / self.per_minute))  # one request's worth of refill
            response = error_response(429, "troppe_richieste",
                                      "Troppe richieste da questo client: riprova tra poco.",
                                      {"Retry-After": str(retry)})
            await response(scope, receive, send)
            return
        await limiter.acquire()
        await self.app(scope, receive, send)

    def _limiter(self, client: str) -> AsyncLimiter:
        limiter = self._limiters.pop(client, None) or AsyncLimiter(
            self.burst, self.burst * 60 / self.per_minute)
        self._limiters[client] = limiter
        while len(self._limiters) > MAX_CLIENTS:
            self._limiters.popitem(last=False)
        return limiter


class WriteKeyFirstMiddleware:
    """Refuse writes without a valid write key before reading their body."""

    def __init__(self, app: ASGIApp, check: KeyCheck) -> None:
        self.app = app
        self.check = check

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """401/403 from the headers alone for POST/DELETE under /api/documents."""
        if (scope["type"] == "http" and scope.get("method") in UNSAFE
                and _path(scope).startswith(WRITE_PATH)):
            problem = self.check(Headers(scope=scope).get("authorization"))
            if problem is not None:
                from bot.api.errors import status_of

                status, code = status_of(problem)
                headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
                # the unread body makes uvicorn close the connection after the answer
                await error_response(status, code, str(problem), headers)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class BodyTimeoutMiddleware:
    """408 when a request body pauses longer than `timeout_s` between two parts."""

    def __init__(self, app: ASGIApp, timeout_s: float) -> None:
        self.app = app
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Wrap `receive` with a timeout; answer 408 once if it fires."""
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        answered = False

        async def timed_receive() -> Message:
            nonlocal answered
            try:
                return await asyncio.wait_for(receive(), self.timeout_s)
            except TimeoutError:
                # answer now: body parsers turn the exception into a 400 of their own
                answered = True
                await error_response(408, "tempo_scaduto", "Corpo della richiesta troppo lento.",
                                     {"Connection": "close"})(scope, receive, send)
                raise _SlowBody from None

        async def guarded_send(message: Message) -> None:
            if not answered:
                await send(message)

        with contextlib.suppress(_SlowBody):
            await self.app(scope, timed_receive, guarded_send)


class _SlowBody(Exception):
    pass


class SameOriginMiddleware:
    """Unsafe methods from another site (Sec-Fetch-Site or Origin) get 403."""

    def __init__(self, app: ASGIApp, exempt: tuple[str, ...] = ()) -> None:
        self.app = app
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Compare the browser's Origin with the Host it addressed."""
        if (scope["type"] == "http" and scope.get("method") in UNSAFE
                and not _path(scope).startswith(self.exempt) and cross_site(scope)):
            await error_response(403, "origine_non_ammessa",
                                 "Richiesta da un altro sito rifiutata.")(scope, receive, send)
            return
        await self.app(scope, receive, send)


def cross_site(scope: Scope) -> bool:
    """True when a browser says the request comes from another site or origin."""
    headers = Headers(scope=scope)
    if headers.get("sec-fetch-site") in ("cross-site", "same-site"):
        return True
    origin = headers.get("origin")
    if origin is None:
        return False  # not a browser form or fetch (curl, scripts, Telegram)
    return origin == "null" or urlsplit(origin).netloc != headers.get("host", "")
