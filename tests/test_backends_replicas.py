"""Stateless front doors on one PostgreSQL: what one replica writes, the others see at once;
webhook retries run once; limits are shared; a lost database is a 503 that heals itself."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from api_helpers import ready_client
from fake_bot_api import FakeBotAPI, entities_of, user
from fastapi import FastAPI
from fastapi.testclient import TestClient
from telegram_harness import ALICE, bot_settings

from bot.app.appdb import AppDB
from bot.app.service import Raccordo
from bot.app.sqlrunner import PgRunner
from bot.telegram.ratelimit import SharedRateLimiter
from bot.telegram.webhook import SECRET_HEADER, webhook_from_settings, webhook_path
from ingest.pgdb import Database
from tests.conftest import REPO, make_settings

SECRET = "s3cr3t-webhook-token_0123456789"
NOTE = ("# Nota di prova sulle repliche\n\nIl protocollo zafferano delle repliche prevede che "
        "ogni server veda subito i documenti caricati da un altro server.\n")


@pytest.fixture()
def two_replicas(tmp_path: Path, pg_url: str) -> Iterator[tuple[Raccordo, Raccordo]]:
    """Two services (own data dirs, own processes' worth of state) on one database."""
    first = Raccordo(make_settings(tmp_path / "a", database_url=pg_url))
    first.ingest(REPO / "corpus")
    second = Raccordo(make_settings(tmp_path / "b", database_url=pg_url))
    yield first, second
    first.close()
    second.close()


def test_an_upload_through_one_server_is_searchable_through_the_other(
        two_replicas: tuple[Raccordo, Raccordo], tmp_path: Path) -> None:
    first, second = two_replicas
    assert second.search("protocollo zafferano delle repliche", k=1)[0].document.file != \
        "nota.md"  # the other replica has loaded its snapshot already
    upload = tmp_path / "uploads" / "nota.md"
    upload.parent.mkdir()
    upload.write_text(NOTE, encoding="utf-8")
    first.add_file(upload, {"title": "Nota repliche", "kind": "practice"})
    assert second.wait_for_index()  # no restart: the snapshot follows the store's version
    [hit] = second.search("protocollo zafferano delle repliche", k=1)
    assert hit.document.file == "nota.md"


def test_rate_limits_invites_and_feedback_are_shared(pg_url: str) -> None:
    dbs = [Database(pg_url), Database(pg_url)]
    try:
        _shared_state(AppDB(PgRunner(dbs[0])), AppDB(PgRunner(dbs[1])))
    finally:
        for db in dbs:
            db.close()


def _shared_state(one: AppDB, two: AppDB) -> None:
    limit_one, limit_two = (SharedRateLimiter(db, 2, 600) for db in (one, two))
    assert limit_one.check(ALICE) == 0.0 and limit_two.check(ALICE) == 0.0
    assert limit_one.check(ALICE) > 0 and limit_two.check(ALICE) > 0
    assert limit_two.check(ALICE + 1) == 0.0
    code = one.create_invite(1)
    assert two.redeem_invite(code, 99) and not one.redeem_invite(code, 98)
    one.add_feedback(channel="api", vote=-1)
    assert len(two.feedback_rows()) == 1


def _update(update_id: int) -> dict[str, Any]:
    return {"update_id": update_id, "message": {
        "message_id": 10, "date": int(time.time()), "text": "/aiuto", "from": user(ALICE),
        "entities": entities_of("/aiuto"), "chat": {"id": ALICE, "type": "private"}}}


def test_a_webhook_update_delivered_to_two_replicas_runs_once(
        two_replicas: tuple[Raccordo, Raccordo], tmp_path: Path) -> None:
    with FakeBotAPI() as fake, ExitStack() as stack:
        clients = []
        for n, service in enumerate(two_replicas):
            settings = bot_settings(tmp_path / f"bot{n}", fake, telegram_webhook_secret=SECRET,
                                    telegram_webhook_url="https://raccordo.example.org",
                                    database_url=service.settings.database_url)
            wired = webhook_from_settings(settings, service)
            assert wired is not None
            router, lifespan = wired
            app = FastAPI(lifespan=lambda _app, run=lifespan: run())
            app.include_router(router)
            clients.append(stack.enter_context(TestClient(app)))
        for client in (*clients, clients[0]):  # a retry to each replica, then another
            response = client.post(webhook_path(SECRET), json=_update(5151),
                                   headers={SECRET_HEADER: SECRET})
            assert response.status_code == 200
        fake.wait_for("sendMessage")
        time.sleep(0.5)
        assert len(fake.calls("sendMessage")) == 1


def _eventually_ok(client: TestClient, path: str, timeout_s: float = 90) -> bool:
    """True once `path` answers 200 (503 meanwhile, never another status)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = client.get(path).status_code
        if status == 200:
            return True
        assert status == 503
        time.sleep(0.5)
    return False


def _pg_ctl(server: Any, *args: str) -> None:
    from pgserver import pg_ctl

    pg_ctl(list(args), pgdata=server.pgdata, user=server.system_user)


def test_a_lost_database_is_a_503_with_a_stable_code_and_service_resumes(
        tmp_path: Path) -> None:
    import shutil
    import tempfile

    import pgserver

    folder = Path(tempfile.mkdtemp(prefix="raccordo-pg-lost-"))
    server = pgserver.get_server(folder, cleanup_mode="stop")
    service = Raccordo(make_settings(tmp_path / "data", database_url=server.get_uri()))
    try:
        service.ingest(REPO / "corpus")
        with ready_client(service) as client:
            params = {"q": "centrale unica di committenza", "k": 3}
            assert client.get("/api/search", params=params).status_code == 200
            _pg_ctl(server, "-w", "stop", "-m", "immediate")
            lost = client.get("/api/documents")
            assert lost.status_code == 503
            assert lost.json()["error"]["code"] == "database_non_raggiungibile"
            _pg_ctl(server, "-w", "-o", '-h ""', "-o", f"-k {server.pgdata}", "-l",
                    f"{server.pgdata}/log", "start")
            assert _eventually_ok(client, "/api/documents")  # the pool's reconnect backoff
            assert client.get("/api/search", params=params).status_code == 200
    finally:
        service.close()
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)
