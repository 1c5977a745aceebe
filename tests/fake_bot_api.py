"""A small fake Telegram Bot API server on 127.0.0.1, for running the real bot in tests.

It runs uvicorn + Starlette in its own thread and event loop, records every call, serves
long polling (`getUpdates` honours `offset` and `timeout`) and file downloads, and can
inject errors (e.g. one 429 with `retry_after`). Tests push updates and wait for calls.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

TOKEN = "123456:TEST-fake-token-abcdefghijklmnopqrstuv"
BOT_USER = {"id": 999000, "is_bot": True, "first_name": "Raccordo",
            "username": "raccordo_test_bot", "can_join_groups": True,
            "can_read_all_group_messages": False, "supports_inline_queries": False}
JSON_FIELDS = {"reply_markup", "reply_parameters", "entities", "commands", "scope",
               "link_preview_options", "allowed_updates", "caption_entities"}
INT_FIELDS = {"chat_id", "message_id", "message_thread_id", "offset", "limit", "timeout"}
MAX_FILE = 20 * 1024 * 1024

Json = dict[str, Any]


@dataclass(frozen=True)
class Call:
    """One recorded Bot API call."""

    index: int
    method: str
    params: Json
    result: Any = None  # what the server answered (a Message dict for sendMessage)

    @property
    def text(self) -> str:
        """The text (or caption) sent, '' when none."""
        return str(self.params.get("text") or self.params.get("caption") or "")


class FakeBotAPI:
    """The fake server; use as a context manager or call start()/stop()."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._calls: list[Call] = []
        self._updates: list[Json] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._file_ids = itertools.count(1)
        self._files: dict[str, tuple[bytes, int]] = {}
        self._failures: dict[str, deque[tuple[int, str, int | None]]] = defaultdict(deque)
        self._chats: dict[int, Json] = {}
        self._messages: dict[tuple[int, int], Json] = {}
        self._wakes = 0
        self.url = ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle ---------------------------------------------------------------------
    def start(self) -> FakeBotAPI:
        """Start serving on a random loopback port (returns when ready)."""
        app = Starlette(routes=[
            Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"]),
            Route("/file/bot{token}/{path:path}", self._download, methods=["GET"]),
        ])
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]},
                                        daemon=True, name="fake-bot-api")
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("fake Bot API did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop the server thread."""
        self.wake()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)

    def wake(self) -> None:
        """Make pending long polls return now (used before stopping a bot)."""
        with self._cond:
            self._wakes += 1
            self._cond.notify_all()

    def __enter__(self) -> FakeBotAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- test API: updates ---------------------------------------------------------------
    def chat(self, chat_id: int, chat_type: str = "private", title: str = "Gruppo") -> Json:
        """Register (or fetch) a chat so replies carry its type."""
        with self._cond:
            if chat_id not in self._chats:
                chat: Json = {"id": chat_id, "type": chat_type}
                if chat_type == "private":
                    chat["first_name"] = f"Utente {chat_id}"
                else:
                    chat["title"] = title
                    chat["is_forum"] = chat_type == "supergroup"
                self._chats[chat_id] = chat
            return self._chats[chat_id]

    def push_message(self, user_id: int, text: str | None = None, *,
                     chat_id: int | None = None, chat_type: str = "private",
                     thread_id: int | None = None, reply_to: Json | None = None,
                     document: Json | None = None, caption: str | None = None) -> Json:
        """Queue a message update from a user; commands and @mentions get entities."""
        chat = self.chat(chat_id if chat_id is not None else user_id,
                         "private" if chat_id is None else chat_type)
        message: Json = {"message_id": next(self._message_ids), "date": int(time.time()),
                         "chat": chat, "from": user(user_id)}
        if text is not None:
            message["text"] = text
            if entities := entities_of(text):
                message["entities"] = entities
        if document is not None:
            message["document"] = document
        if caption is not None:
            message["caption"] = caption
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        self._push({"message": message})
        return message

    def push_callback(self, user_id: int, message: Json, data: str) -> str:
        """Queue a button press on a message the bot sent."""
        query_id = f"cb{next(self._update_ids)}"
        self._push({"callback_query": {"id": query_id, "from": user(user_id), "data": data,
                                       "chat_instance": "ci", "message": message}})
        return query_id

    def add_file(self, content: bytes, size: int | None = None) -> str:
        """Make a file downloadable; `size` may claim more than the content (oversize)."""
        file_id = f"file{next(self._file_ids)}"
        with self._cond:
            self._files[file_id] = (content, len(content) if size is None else size)
        return file_id

    def document(self, name: str, content: bytes, mime: str = "application/octet-stream",
                 size: int | None = None) -> Json:
        """A `document` object for push_message, backed by a downloadable file."""
        file_id = self.add_file(content, size)
        return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_name": name,
                "mime_type": mime, "file_size": len(content) if size is None else size}

    def fail_next(self, method: str, code: int = 429, description: str = "Too Many Requests",
                  retry_after: int | None = 1) -> None:
        """Make the next call of `method` fail once with this error."""
        with self._cond:
            self._failures[method].append((code, description, retry_after))

    def _push(self, update: Json) -> None:
        with self._cond:
            update["update_id"] = next(self._update_ids)
            self._updates.append(update)
            self._cond.notify_all()

    # ---- test API: calls ---------------------------------------------------------------
    def mark(self) -> int:
        """The index the next call will get (to look only at later calls)."""
        with self._cond:
            return len(self._calls)

    def calls(self, method: str | None = None, after: int = 0) -> list[Call]:
        """Recorded calls, optionally of one method, from index `after` on."""
        with self._cond:
            return [c for c in self._calls[after:] if method is None or c.method == method]

    def wait_for(self, method: str, after: int = 0, where: Callable[[Call], bool] | None = None,
                 count: int = 1, timeout: float = 15.0) -> list[Call]:
        """Block until `count` calls of `method` (matching `where`) happened after `after`."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [c for c in self._calls[after:] if c.method == method
                         and (where is None or where(c))]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(c.method, c.text[:80]) for c in self._calls[after:]]
                    raise AssertionError(f"no {count}x {method} within {timeout}s; saw {seen}")
                self._cond.wait(left)

    def message(self, chat_id: int, message_id: int) -> Json:
        """The current state of a message the bot sent (after edits)."""
        with self._cond:
            return dict(self._messages[(chat_id, message_id)])

    # ---- server side -------------------------------------------------------------------
    async def _endpoint(self, request: Request) -> Response:
        if request.path_params["token"] != TOKEN:
            return _error(401, "Unauthorized")
        method = request.path_params["method"]
        params = await _params(request)
        if method == "getUpdates":
            return JSONResponse({"ok": True, "result": await self._get_updates(params)})
        with self._cond:
            failure = self._failures[method].popleft() if self._failures[method] else None
        if failure is not None:
            self._record(method, params, None)
            return _error(*failure)
        try:
            result = self._result(method, params)
        except LookupError as exc:
            self._record(method, params, None)
            return _error(400, f"Bad Request: {exc}")
        self._record(method, params, result)
        return JSONResponse({"ok": True, "result": result})

    def _record(self, method: str, params: Json, result: Any) -> None:
        with self._cond:
            self._calls.append(Call(len(self._calls), method, params, result))
            self._cond.notify_all()

    async def _get_updates(self, params: Json) -> list[Json]:
        offset = int(params.get("offset") or 0)
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 5.0)
        with self._cond:
            wakes = self._wakes
        while True:
            with self._cond:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                if self._updates or self._wakes != wakes or time.monotonic() >= deadline:
                    return list(self._updates[: int(params.get("limit") or 100)])
            await asyncio.sleep(0.01)

    def _result(self, method: str, params: Json) -> Any:
        if method == "getMe":
            return BOT_USER
        if method in ("sendMessage", "sendDocument"):
            return self._new_message(params)
        if method in ("editMessageText", "editMessageReplyMarkup"):
            return self._edit(params)
        if method == "getFile":
            return self._get_file(str(params["file_id"]))
        return True  # setMyCommands, deleteWebhook, setWebhook, sendChatAction, answer...

    def _new_message(self, params: Json) -> Json:
        chat_id = int(params["chat_id"])
        message: Json = {"message_id": next(self._message_ids), "date": int(time.time()),
                         "chat": self.chat(chat_id, "private" if chat_id > 0 else "supergroup"),
                         "from": BOT_USER, "text": params.get("text", "")}
        if params.get("message_thread_id") is not None:
            message["message_thread_id"] = params["message_thread_id"]
            message["is_topic_message"] = True
        if isinstance(params.get("reply_markup"), dict) and \
                "inline_keyboard" in params["reply_markup"]:
            message["reply_markup"] = params["reply_markup"]
        with self._cond:
            self._messages[(chat_id, message["message_id"])] = message
        return message

    def _edit(self, params: Json) -> Json:
        key = (int(params["chat_id"]), int(params["message_id"]))
        with self._cond:
            if key not in self._messages:
                raise LookupError("message to edit not found")
            message = self._messages[key]
            if "text" in params:
                message["text"] = params["text"]
            message["reply_markup"] = params.get("reply_markup") or {"inline_keyboard": []}
            return dict(message)

    def _get_file(self, file_id: str) -> Json:
        with self._cond:
            if file_id not in self._files:
                raise LookupError("invalid file_id")
            size = self._files[file_id][1]
        if size > MAX_FILE:
            raise LookupError("file is too big")
        return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": size,
                "file_path": f"documents/{file_id}.bin"}

    async def _download(self, request: Request) -> Response:
        if request.path_params["token"] != TOKEN:
            return Response(status_code=401)
        file_id = request.path_params["path"].removeprefix("documents/").removesuffix(".bin")
        self._record("download", {"file_id": file_id}, None)
        with self._cond:
            found = self._files.get(file_id)
        if found is None:
            return Response(status_code=404)
        return Response(found[0], media_type="application/octet-stream")


def user(user_id: int) -> Json:
    """A Telegram user object."""
    return {"id": user_id, "is_bot": False, "first_name": f"Utente{user_id}",
            "language_code": "it"}


def entities_of(text: str) -> list[Json]:
    """bot_command at the start and @mentions, with UTF-16 offsets like Telegram."""
    entities: list[Json] = []
    for start, word in _words(text):
        offset = len(text[:start].encode("utf-16-le")) // 2
        length = len(word.encode("utf-16-le")) // 2
        if start == 0 and word.startswith("/"):
            entities.append({"type": "bot_command", "offset": 0, "length": length})
        elif word.startswith("@") and len(word) > 1:
            entities.append({"type": "mention", "offset": offset, "length": length})
    return entities


def _words(text: str) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    start: int | None = None
    for i, ch in enumerate(text + " "):
        if ch.isspace() or ch in ",.;:!?":
            if start is not None:
                out.append((start, text[start:i]))
                start = None
        elif start is None:
            start = i
    return out


async def _params(request: Request) -> Json:
    if request.method == "GET":
        raw: dict[str, Any] = dict(request.query_params)
    elif request.headers.get("content-type", "").startswith("application/json"):
        raw = dict(json.loads(await request.body() or b"{}"))
    else:
        form = await request.form()
        raw = {k: v for k, v in form.items() if isinstance(v, str)}
    params: Json = {}
    for key, value in raw.items():
        if key in JSON_FIELDS and isinstance(value, str):
            value = json.loads(value)
        elif key in INT_FIELDS and isinstance(value, str) and value.lstrip("-").isdigit():
            value = int(value)
        params[key] = value
    return params


def _error(code: int, description: str, retry_after: int | None = None) -> JSONResponse:
    body: Json = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None and code == 429:
        body["parameters"] = {"retry_after": retry_after}
    return JSONResponse(body, status_code=code)
