"""Small ASGI guards: request body limits and security headers on pages."""

from __future__ import annotations

import contextlib
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.api.errors import error_response

JSON_BODY_BYTES = 1024 * 1024  # 1 MB is far above any valid question or feedback
UPLOAD_PATH = "/api/documents"

PAGE_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
# Swagger UI and ReDoc start from an inline script (assets are local: fastapi-offline)
DOCS_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self' 'unsafe-inline'; worker-src 'self' blob:; connect-src 'self'; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
DOCS_PATHS = ("/docs", "/redoc")


class BodyLimitMiddleware:
    """Refuse bodies over the limit (413) by Content-Length or while streaming."""

    def __init__(self, app: ASGIApp, upload_bytes: int) -> None:
        self.app = app
        self.upload_bytes = upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length, then count the streamed bytes."""
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        # multipart framing adds a little to the file itself
        limit = (self.upload_bytes + 64 * 1024 if scope.get("path") == UPLOAD_PATH
                 else JSON_BODY_BYTES)
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(limit)(scope, receive, send)
            return
        seen = 0
        answered = False

        async def counting_receive() -> Message:
            nonlocal seen, answered
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit and not answered:
                    # answer now: parsers turn the exception into a 400 of their own
                    answered = True
                    await _too_large(limit)(scope, receive, send)
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            if not answered:
                await send(message)

        with contextlib.suppress(_BodyTooLarge):
            await self.app(scope, counting_receive, guarded_send)


class _BodyTooLarge(Exception):
    pass


def _too_large(limit: int) -> ASGIApp:
    return error_response(413, "troppo_grande",
                          f"Richiesta troppo grande: massimo {limit // 1024} kB.")


class SecurityHeadersMiddleware:
    """nosniff, referrer policy, CSP on HTML (looser on the docs); relative redirects."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Add the headers as the response starts."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                is_html = headers.get("content-type", "").startswith("text/html")
                if is_html:
                    csp = DOCS_CSP if path.startswith(DOCS_PATHS) else PAGE_CSP
                    headers.setdefault("Content-Security-Policy", csp)
                    headers.setdefault("X-Frame-Options", "DENY")
                if "location" in headers:
                    headers["Location"] = local_location(headers["location"])
            await send(message)

        await self.app(scope, receive, send_wrapper)


def local_location(location: str) -> str:
    """An absolute redirect target made relative: never echo the client's Host header."""
    parts = urlsplit(location)
    if not parts.scheme and not parts.netloc:
        return location
    path = parts.path if parts.path.startswith("/") and not parts.path.startswith("//") else "/"
    return path + (f"?{parts.query}" if parts.query else "")
