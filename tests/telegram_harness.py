"""Running the real Telegram bot against the fake Bot API, for the telegram tests."""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
import threading
from pathlib import Path
from typing import Any

from conftest import make_settings
from fake_bot_api import TOKEN, Call, FakeBotAPI
from telegram import Update
from telegram.ext import Application

from bot.app.appdb import AppDB
from bot.app.settings import Settings
from bot.telegram.app import build_application

ADMIN = 7001
ALICE = 7002
GROUP = -100500
FORUM = -100600
_user_ids = itertools.count(8000)


def new_user_id() -> int:
    """A user id no other test uses (so conversations and limits do not mix)."""
    return next(_user_ids)


def bot_settings(data_dir: Path, fake: FakeBotAPI, **overrides: Any) -> Settings:
    """Settings pointing the bot at the fake server, with one admin, one user, two groups."""
    values: dict[str, Any] = {
        "telegram_token": TOKEN, "telegram_api_url": fake.url, "telegram_admins": [ADMIN],
        "telegram_allowed_users": [ALICE], "telegram_allowed_chats": [GROUP, FORUM]}
    values.update(overrides)
    return make_settings(data_dir, **values)


def open_appdb(path: Path) -> AppDB:
    """Application tables in their own SQLite file (keeps shared services untouched)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return AppDB(sqlite3.connect(path, check_same_thread=False, isolation_level=None))


class RunningBot:
    """The real application, long polling the fake server from its own thread and loop."""

    def __init__(self, fake: FakeBotAPI, settings: Settings, service: Any,
                 appdb: AppDB) -> None:
        self.fake = fake
        self.appdb = appdb
        self.application: Application = build_application(settings, service,
                                                          appdb=appdb)
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True, name="bot")

    def __enter__(self) -> RunningBot:
        self._thread.start()
        if not self._ready.wait(20) or self._error is not None:
            raise RuntimeError(f"bot did not start: {self._error!r}")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(20)
        if self._error is not None:
            raise RuntimeError("bot thread failed") from self._error

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported by __enter__/__exit__
            self._error = exc
            self._ready.set()

    async def _main(self) -> None:
        app = self.application
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        await app.initialize()
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=2,
                                        allowed_updates=Update.ALL_TYPES)
        self._ready.set()
        await self._stop.wait()
        stopping = asyncio.create_task(app.updater.stop())
        await asyncio.sleep(0)
        self.fake.wake()
        await stopping
        await app.stop()
        await app.shutdown()

    def settle(self, timeout_s: float = 60) -> None:
        """Wait until every update the bot has fetched so far is completely handled.

        Updates are fetched in order, so once the reply to a later message has been seen,
        every earlier update is in the queue, and PTB marks each one done after its handlers.
        """
        assert self._loop is not None
        done = asyncio.run_coroutine_threadsafe(self.application.update_queue.join(), self._loop)
        done.result(timeout_s)

    # ---- conversations ---------------------------------------------------------------
    def say(self, user_id: int, text: str, count: int = 1, **kw: Any) -> list[Call]:
        """Push a message and wait for `count` sendMessage calls in reply (same chat)."""
        mark = self.fake.mark()
        message = self.fake.push_message(user_id, text, **kw)
        chat = message["chat"]["id"]
        return self.fake.wait_for("sendMessage", after=mark, count=count,
                                  where=lambda c: c.params["chat_id"] == chat)

    def ask(self, user_id: int, text: str, **kw: Any) -> Call:
        """Push a question and wait for the reply that carries the inline keyboard."""
        mark = self.fake.mark()
        self.fake.push_message(user_id, text, **kw)
        return self.fake.wait_for("sendMessage", after=mark, where=has_keyboard)[0]

    def press(self, user_id: int, reply: Call, label: str) -> int:
        """Press the button labelled `label` on a sent message; returns the call mark."""
        message = self.fake.message(int(reply.params["chat_id"]), reply.result["message_id"])
        data = button_data(reply, label)
        mark = self.fake.mark()
        self.fake.push_callback(user_id, message, data)
        self.fake.wait_for("answerCallbackQuery", after=mark)
        return mark


    def tap(self, user_id: int, reply: Call, label: str) -> Call:
        """Press a button and return the first message the bot sends because of it."""
        mark = self.press(user_id, reply, label)
        return self.fake.wait_for("sendMessage", after=mark)[0]


def has_keyboard(call: Call) -> bool:
    """True for a message sent with an inline keyboard."""
    markup = call.params.get("reply_markup")
    return isinstance(markup, dict) and bool(markup.get("inline_keyboard"))


def button_data(call: Call, label: str) -> str:
    """The callback_data of the button whose text contains `label`."""
    for row in call.params["reply_markup"]["inline_keyboard"]:
        for button in row:
            if label in button["text"]:
                return str(button["callback_data"])
    raise AssertionError(f"no button {label!r} in {call.params['reply_markup']}")
