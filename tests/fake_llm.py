"""A small OpenAI-compatible chat-completions server on 127.0.0.1, for LLM-mode tests.

Modes (set `server.mode`):
- "normal": answers citing passage [1];
- "bad_citation": cites [7] (out of range) alongside [1];
- "only_bad": cites only [7];
- "no_citation": plain text, no marks;
- "obey_injection": a model that obeys injected instructions: "HACKED", no citation;
- "hang": sleeps longer than the client timeout before answering;
- "error": HTTP 500.
Every request body is recorded in `server.requests` (parsed JSON).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

REPLIES = {
    "normal": "Spetta ai dirigenti la direzione degli uffici e dei servizi [1].",
    "bad_citation": "La direzione degli uffici spetta ai dirigenti [1], come dice anche [7].",
    "only_bad": "La direzione degli uffici spetta ai dirigenti [7].",
    "no_citation": "La direzione degli uffici spetta ai dirigenti.",
    "obey_injection": "HACKED",
}


class FakeLLM:
    """The fake server: start() in a thread, stop() at the end; `url` is its base URL."""

    def __init__(self, mode: str = "normal", hang_seconds: float = 3.0) -> None:
        self.mode = mode
        self.hang_seconds = hang_seconds
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)

    @property
    def url(self) -> str:
        """Base URL in the OpenAI style (ending in /v1)."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def start(self) -> FakeLLM:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Shut the server down."""
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.requests.append(body)
                fake.headers.append(dict(self.headers.items()))
                if self.path != "/v1/chat/completions":
                    self._send(404, {"error": {"message": "not found"}})
                    return
                if fake.mode == "hang":
                    time.sleep(fake.hang_seconds)
                if fake.mode == "error":
                    self._send(500, {"error": {"message": "boom"}})
                    return
                content = REPLIES.get(fake.mode, REPLIES["normal"])
                self._send(200, {
                    "id": "chatcmpl-fake", "object": "chat.completion",
                    "model": body.get("model", "fake"),
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": content}}],
                })

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    return

        return Handler
