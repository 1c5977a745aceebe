"""`raccordo apikey` commands: the secret is printed once and stored only as a hash."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from typer.testing import CliRunner

from bot.api.background import free_port
from bot.app.appdb import AppDB
from bot.cli.main import app
from ingest.store import Store

runner = CliRunner()
REPO = Path(__file__).resolve().parents[1]


def _appdb(data: Path) -> tuple[Store, AppDB]:
    store = Store(data / "raccordo.db")
    return store, AppDB(store.connection)


def test_create_list_revoke(tmp_path: Path) -> None:
    data = tmp_path / "data"
    created = runner.invoke(app, ["--data-dir", str(data), "apikey", "create", "--role", "write",
                                  "--name", "intranet"])
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip().splitlines()[0]
    assert secret.startswith("rcd_") and len(secret) > 40
    store, appdb = _appdb(data)
    try:
        key = appdb.check_api_key(secret)
        assert key is not None and key.role == "write" and key.name == "intranet"
        raw = sqlite3.connect(data / "raccordo.db").execute("SELECT key_hash FROM api_keys")
        assert secret not in {r[0] for r in raw}
    finally:
        store.close()

    listed = runner.invoke(app, ["--data-dir", str(data), "apikey", "list", "--json"])
    assert listed.exit_code == 0
    rows = json.loads(listed.stdout)
    assert [(r["role"], r["name"], r["revoked"]) for r in rows] == [("write", "intranet", False)]
    assert secret not in listed.stdout

    revoked = runner.invoke(app, ["--data-dir", str(data), "apikey", "revoke", str(rows[0]["id"])])
    assert revoked.exit_code == 0
    store, appdb = _appdb(data)
    try:
        assert appdb.check_api_key(secret) is None
    finally:
        store.close()


def test_bad_role_and_unknown_id_exit_3(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    bad = runner.invoke(app, ["--data-dir", data, "apikey", "create", "--role", "root"])
    assert bad.exit_code == 3 and "Ruolo sconosciuto" in bad.output
    missing = runner.invoke(app, ["--data-dir", data, "apikey", "revoke", "42"])
    assert missing.exit_code == 3 and "42" in missing.output


def test_serve_help_lists_host_and_port() -> None:
    result = runner.invoke(app, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--host" in result.output and "--port" in result.output


def test_serve_runs_uvicorn_on_the_given_port(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "RACCORDO_LLM_BASE_URL": ""}
    code = "from bot.cli.main import main; main()"
    proc = subprocess.Popen([sys.executable, "-c", code, "--data-dir", str(tmp_path / "d"),
                             "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        health = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                health = httpx.get(base + "/healthz", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        assert health is not None and health.json() == {"status": "ok"}
        ready = httpx.get(base + "/readyz", timeout=5)
        assert ready.status_code == 503  # empty data dir: no index yet
        assert httpx.get(base + "/", timeout=10).status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_serve_workers_share_the_published_index(tmp_path: Path, demo_service: Any) -> None:
    """`--workers 2`: two processes answer searches over the same published index."""
    import psutil

    data = Path(demo_service.settings.data_dir)
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "RACCORDO_LLM_BASE_URL": "",
           "RACCORDO_RATE_LIMIT_API": "0"}
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "--data-dir", str(data), "serve",
                             "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
                            env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 300
        ready = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                ready = httpx.get(base + "/readyz", timeout=5)
                if ready.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        assert ready is not None and ready.status_code == 200, proc.stderr
        workers = [p for p in psutil.Process(proc.pid).children(recursive=True)
                   if "python" in p.name().lower()]
        assert len(workers) >= 2
        for _ in range(6):
            found = httpx.get(base + "/api/search", params={"q": "centrale di committenza"},
                              timeout=60)
            assert found.status_code == 200 and found.json()["hits"]
    finally:
        proc.terminate()
        proc.wait(timeout=60)
