"""Webhook mode: updates posted to the secret path, the secret header checked."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_bot_api import FakeBotAPI, entities_of, user
from fastapi import FastAPI
from fastapi.testclient import TestClient
from telegram_harness import ALICE, bot_settings, open_appdb

from bot.telegram.webhook import SECRET_HEADER, webhook_from_settings, webhook_path

SECRET = "s3cr3t-webhook-token_0123456789"
PUBLIC = "https://raccordo.example.org"


@pytest.fixture()
def served(demo_service: Any, tmp_path: Path) -> Iterator[tuple[FakeBotAPI, TestClient]]:
    """A minimal FastAPI app mounting the webhook router, with the bot started."""
    with FakeBotAPI() as fake:
        settings = bot_settings(tmp_path, fake, telegram_webhook_secret=SECRET,
                                telegram_webhook_url=PUBLIC)
        wired = webhook_from_settings(settings, demo_service,
                                      appdb=open_appdb(tmp_path / "bot.db"))
        assert wired is not None
        router, lifespan = wired
        app = FastAPI(lifespan=lambda _app: lifespan())
        app.include_router(router)
        with TestClient(app) as client:
            yield fake, client


def test_webhook_needs_secret_and_url(demo_service: Any, tmp_path: Path) -> None:
    with FakeBotAPI() as fake:
        assert webhook_from_settings(bot_settings(tmp_path, fake, telegram_webhook_url=PUBLIC),
                                     demo_service) is None
        assert webhook_from_settings(bot_settings(tmp_path, fake,
                                                  telegram_webhook_secret=SECRET),
                                     demo_service) is None


def update(text: str) -> dict[str, Any]:
    """A message update from the allowed user."""
    return {"update_id": 1, "message": {
        "message_id": 10, "date": int(time.time()), "text": text, "from": user(ALICE),
        "entities": entities_of(text), "chat": {"id": ALICE, "type": "private"}}}


def test_webhook_is_registered_with_its_secret(served: tuple[FakeBotAPI, TestClient]) -> None:
    fake, _ = served
    [registered] = fake.calls("setWebhook")
    assert registered.params["url"] == PUBLIC + webhook_path(SECRET)
    assert registered.params["secret_token"] == SECRET
    assert SECRET not in webhook_path(SECRET)  # access logs never show the secret


def test_wrong_secret_is_refused_and_right_secret_is_served(
        served: tuple[FakeBotAPI, TestClient]) -> None:
    fake, client = served
    path = webhook_path(SECRET)
    assert client.post(path, json=update("/aiuto"),
                       headers={SECRET_HEADER: SECRET[:-1] + "x"}).status_code == 403
    assert client.post(path, json=update("/aiuto")).status_code == 403
    assert client.post(webhook_path("altro"), json=update("/aiuto"),
                       headers={SECRET_HEADER: SECRET}).status_code == 404
    assert not fake.calls("sendMessage")  # refused before being queued: never reach the bot
    response = client.post(path, json=update("/aiuto"), headers={SECRET_HEADER: SECRET})
    assert response.status_code == 200
    [reply] = fake.wait_for("sendMessage")
    assert reply.params["chat_id"] == ALICE and "Raccordo" in reply.text
    assert fake.calls("sendMessage") == [reply]  # one update queued, one reply


def test_raccordo_serve_app_mounts_the_webhook(tmp_path: Path) -> None:
    """The real API app (what `raccordo serve` runs) carries the webhook when configured."""
    from bot.app.service import Raccordo
    from bot.cli.server import http_app

    with FakeBotAPI() as fake:
        settings = bot_settings(tmp_path / "data", fake, telegram_webhook_secret=SECRET,
                                telegram_webhook_url=PUBLIC)
        service = Raccordo(settings)
        try:
            with TestClient(http_app(service)) as client:
                assert fake.calls("setWebhook"), "the app did not register its webhook"
                wrong = client.post(webhook_path(SECRET), json=update("/start"),
                                    headers={SECRET_HEADER: "sbagliato"})
                assert wrong.status_code == 403
                right = client.post(webhook_path(SECRET), json=update("/start"),
                                    headers={SECRET_HEADER: SECRET})
                assert right.status_code == 200
                assert client.get("/healthz").status_code == 200
        finally:
            service.close()
