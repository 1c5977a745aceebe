"""Webhook mode: a FastAPI router receiving updates at a secret path, header-checked."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from telegram import Update
from telegram.ext import Application

if TYPE_CHECKING:
    from bot.app.appdb import AppDB
    from bot.app.service import Raccordo
    from bot.app.settings import Settings

log = logging.getLogger(__name__)
Lifespan = Callable[[], AbstractAsyncContextManager[None]]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_path(secret: str) -> str:
    """The secret path updates are posted to (derived from the secret, not equal to it)."""
    return "/telegram/webhook/" + hashlib.sha256(secret.encode()).hexdigest()[:40]


def webhook_router(application: Application, secret: str,
                   take: Callable[[int], bool] | None = None) -> APIRouter:
    """A router that checks the secret header (constant time) and queues the update.

    With `take` (AppDB.take_update), an update another replica (or an earlier delivery)
    already took is acknowledged and dropped: Telegram's retries run once.
    """
    router = APIRouter()
    expected = secret.encode()

    @router.post(webhook_path(secret), include_in_schema=False)
    async def receive(request: Request) -> Response:
        presented = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(presented, expected):
            log.warning("webhook Telegram: intestazione segreta errata")
            return Response(status_code=403)
        try:
            payload = json.loads(await request.body())
        except ValueError:
            return Response(status_code=400)
        update = Update.de_json(payload, application.bot)
        if update is None:
            return Response(status_code=400)
        if take is not None and not await run_in_threadpool(take, update.update_id):
            log.info("webhook Telegram: aggiornamento già preso, ignorato")
            return Response(status_code=200)
        await application.update_queue.put(update)
        return Response(status_code=200)

    return router


@contextlib.asynccontextmanager
async def webhook_running(application: Application, public_url: str,
                          secret: str) -> AsyncIterator[None]:
    """Start the application and register the webhook; stop both on exit (a lifespan)."""
    await application.initialize()
    await application.start()
    await application.bot.set_webhook(public_url.rstrip("/") + webhook_path(secret),
                                      secret_token=secret, allowed_updates=Update.ALL_TYPES)
    try:
        yield
    finally:
        await application.stop()
        await application.shutdown()


def webhook_from_settings(settings: Settings, service: Raccordo, *, appdb: AppDB | None = None,
                          ) -> tuple[APIRouter, Lifespan] | None:
    """(router to mount, lifespan to enter) when token, secret and public URL are all set."""
    from bot.telegram.app import build_application

    token, secret = settings.telegram_token, settings.telegram_webhook_secret
    url = settings.telegram_webhook_url
    if token is None or secret is None or not url or not secret.get_secret_value():
        return None
    application = build_application(settings, service, appdb=appdb)
    key = secret.get_secret_value()
    take = (appdb or service.appdb).take_update
    return webhook_router(application, key, take), lambda: webhook_running(application, url, key)
