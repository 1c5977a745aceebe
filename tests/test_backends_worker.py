"""Distributed ingestion on PostgreSQL: `ingest` enqueues, workers drain the queue once each
file; a worker killed with -9 mid-job loses nothing and duplicates nothing."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app.service import Raccordo
from bot.app.worker import Worker
from ingest.pgqueue import JOB_LOCK
from ingest.pgstore import PgStore
from ingest.pipeline import ingest_path
from ingest.store import Store
from tests.conftest import REPO, make_settings, real_cache_dir
from tests.pg_kit import run_together

COMMITTED = 3
# The child worker pauses inside the transaction of its document COMMITTED + 1 (chunks,
# vectors and terms written, not committed), says so and waits: the kill -9 lands there.
SCRIPT = """
import sys
from pathlib import Path
from ingest.pgstore import PgStore
from bot.app.service import Raccordo
from bot.app.settings import Settings
from bot.app.worker import Worker

copy, calls = PgStore._copy_chunks, []
def copy_then_pause(self, *args):
    copy(self, *args)
    calls.append(1)
    if len(calls) == int(sys.argv[3]) + 1:
        print("in transaction", len(calls), flush=True)
        sys.stdin.readline()  # never answered: the parent kills this process
PgStore._copy_chunks = copy_then_pause
service = Raccordo(Settings(data_dir=Path(sys.argv[2]), database_url=sys.argv[1]))
Worker(service).run(until_idle=True)
"""


@pytest.fixture()
def queued(tmp_path: Path, pg_url: str) -> Iterator[Raccordo]:
    """A PostgreSQL service with the demo corpus queued (nothing ingested yet)."""
    service = Raccordo(make_settings(tmp_path / "data", database_url=pg_url))
    done = service.enqueue(REPO / "corpus")
    assert len(done.queued) >= 8 and not done.unchanged
    yield service
    service.close()


def _fingerprint(chunks: list[tuple[str, int, str]]) -> tuple[int, str]:
    digest = hashlib.sha256()
    for row in sorted(chunks):
        digest.update(repr(row).encode())
    return len(chunks), digest.hexdigest()


def _embedded_fingerprint(tmp_path: Path) -> tuple[int, str]:
    store = Store(tmp_path / "ref" / "raccordo.db")
    ingest_path(REPO / "corpus", store)
    docs = {d.id: d.file for d in store.documents()}
    rows = [(docs[c.doc_id or 0], c.ordinal, c.text) for c in store.chunks()]
    store.close()
    return _fingerprint(rows)


def _pg_fingerprint(store: PgStore) -> tuple[int, str]:
    with store.db.connect() as conn:
        rows = conn.execute("SELECT d.file, c.ordinal, c.text FROM chunks c JOIN documents d"
                            " ON d.id = c.doc_id").fetchall()
    return _fingerprint([(str(f), int(o), str(t)) for f, o, t in rows])


def _scalar(store: PgStore, sql: str) -> int:
    with store.db.connect() as conn:
        row = conn.execute(sql).fetchone()
    return int(row[0]) if row else 0


def test_two_workers_drain_the_queue_each_file_once(queued: Raccordo, tmp_path: Path) -> None:
    store = queued.store
    assert isinstance(store, PgStore)
    reports = run_together(lambda: Worker(queued).run(until_idle=True), 2)
    taken = [job.id for r in reports for job, _ in r.done]
    assert len(taken) == len(set(taken)) == 8
    assert _pg_fingerprint(store) == _embedded_fingerprint(tmp_path)
    assert _scalar(store, "SELECT COUNT(*) FROM jobs WHERE status <> 'done'") == 0
    assert queued.search("centrale unica di committenza", k=3)


def test_worker_killed_mid_job_loses_and_duplicates_nothing(queued: Raccordo,
                                                            tmp_path: Path) -> None:
    store = queued.store
    assert isinstance(store, PgStore)
    url = queued.settings.database_url
    assert url is not None
    env = dict(os.environ, PYTHONPATH=str(REPO), RACCORDO_CACHE_DIR=str(real_cache_dir()))
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, url.get_secret_value(),
                             str(tmp_path / "child"), str(COMMITTED)],
                            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == f"in transaction {COMMITTED + 1}"
    assert store.counts()["documents"] == COMMITTED  # search serves the committed state
    served = {h.document.id for h in queued.search("comuni", k=20)}
    assert len(served) <= COMMITTED
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert store.counts()["documents"] == COMMITTED  # the open transaction was rolled back
    _wait_for_locks_released(store)

    report = Worker(queued).run(until_idle=True)
    assert len(report.done) == 8 - COMMITTED and not report.failed
    assert _pg_fingerprint(store) == _embedded_fingerprint(tmp_path)
    assert _scalar(store, "SELECT COUNT(*) FROM (SELECT 1 FROM documents GROUP BY source,"
                          " file HAVING COUNT(*) > 1) dup") == 0
    assert _scalar(store, "SELECT COUNT(*) FROM jobs WHERE status <> 'done'") == 0
    assert _scalar(store, "SELECT MAX(attempts) FROM jobs") == 2  # the killed job, once more
    assert _scalar(store, "SELECT COUNT(*) FROM chunk_terms t LEFT JOIN chunks c ON"
                          " c.id = t.chunk_id WHERE c.id IS NULL") == 0


def _wait_for_locks_released(store: PgStore, timeout_s: float = 30.0) -> None:
    """Until the server has dropped the killed worker's session (and its job lock)."""
    deadline = time.monotonic() + timeout_s
    while _scalar(store, f"SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND"
                         f" classid = {JOB_LOCK}") > 0:
        assert time.monotonic() < deadline, "lock of the killed worker never released"
        time.sleep(0.05)


def test_cli_ingest_enqueues_and_worker_runs(tmp_path: Path, pg_url: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from bot.cli.main import app

    monkeypatch.setenv("RACCORDO_DATABASE_URL", pg_url)
    monkeypatch.setenv("RACCORDO_CACHE_DIR", str(real_cache_dir()))
    data = str(tmp_path / "data")
    queued = CliRunner().invoke(app, ["ingest", str(REPO / "corpus"), "--data-dir", data])
    assert queued.exit_code == 0, queued.output
    assert "In coda: 8 file" in queued.output and "raccordo worker" in queued.output
    worked = CliRunner().invoke(app, ["worker", "--until-idle", "--data-dir", data])
    assert worked.exit_code == 0, worked.output
    assert worked.output.count(": indexed,") == 8 and "Lavori completati: 8" in worked.output
    listed = CliRunner().invoke(app, ["documents", "--json", "--data-dir", data])
    assert listed.exit_code == 0 and listed.output.count('"status": "indexed"') == 8
