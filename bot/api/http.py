"""uvicorn as Raccordo runs it: bounded connections, and no endless wait for headers.

uvicorn times out idle keep-alive connections but not a client that sends its request
headers a byte at a time; `TimedH11Protocol` closes a connection whose request line and
headers are not complete within `header_timeout_s` (slow bodies are cut by
`bot.api.limits.BodyTimeoutMiddleware`). `limit_concurrency` makes uvicorn answer 503
beyond that many open connections and tasks. Behind a reverse proxy, its own timeouts
(nginx `client_header_timeout`, `client_body_timeout`) do the same job one step earlier.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

import h11
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from bot.app.settings import Settings

HEADER_TIMEOUT_S = 10.0
MAX_HEADER_BYTES = 16 * 1024


class TimedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, closing connections that are too slow to send headers."""

    def __init__(self, config: Config, server_state: ServerState,
                 app_state: dict[str, Any], _loop: asyncio.AbstractEventLoop | None = None,
                 header_timeout_s: float = HEADER_TIMEOUT_S) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.header_timeout_s = header_timeout_s
        self._header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the clock for the first request's headers."""
        super().connection_made(transport)
        self._arm()

    def on_response_complete(self) -> None:
        """Start the clock again for the next request on this connection."""
        super().on_response_complete()
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop the clock."""
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.header_timeout_s, self._too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _waiting_for_headers(self) -> bool:
        idle = self.cycle is None or self.cycle.response_complete
        return idle and self.conn.their_state in (h11.IDLE, h11.DONE)

    def _too_slow(self) -> None:
        self._header_timer = None
        if self._waiting_for_headers() and not self.transport.is_closing():
            self.transport.close()


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments of `uvicorn.Config`/`uvicorn.run` for the settings' limits."""
    return {"http": partial(TimedH11Protocol, header_timeout_s=HEADER_TIMEOUT_S),
            "limit_concurrency": settings.http_limit_concurrency,
            "timeout_keep_alive": settings.http_keep_alive_s,
            "h11_max_incomplete_event_size": MAX_HEADER_BYTES,
            "access_log": False, "proxy_headers": False, "server_header": False}
