"""A kill -9 in the middle of an ingest leaves a readable, consistent store; the next run
completes."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from ingest.pipeline import ingest_path
from ingest.store import Store

REPO = Path(__file__).resolve().parents[1]
COMMITTED = 5
# The child pauses inside the transaction of document COMMITTED + 1 (rows written, not yet
# committed), says so and waits on stdin: the parent's kill -9 lands exactly there.
SCRIPT = """
import sys
from pathlib import Path
from ingest.pipeline import ingest_path
from ingest.store import Store

bump, writes = Store._bump, []
def bump_then_pause(self, conn):
    bump(self, conn)
    writes.append(1)
    if len(writes) == int(sys.argv[3]) + 1:
        print("in transaction", len(writes), flush=True)
        sys.stdin.readline()  # never answered: the parent kills this process
Store._bump = bump_then_pause
ingest_path(Path(sys.argv[1]), Store(Path(sys.argv[2])))
"""


def _committed(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=1) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0])
    except sqlite3.Error:
        return 0


def test_kill_during_ingest(tmp_path: Path) -> None:
    root = tmp_path / "docs"
    root.mkdir()
    n_files = 150
    for i in range(n_files):
        commi = "\n\n".join(f"{c}. Comma {c} dell'articolo {i}: " + "testo " * 80
                            for c in range(1, 6))
        (root / f"atto_{i:03d}.md").write_text(f"# Atto {i}\n\n### Art. 1 - Oggetto\n\n{commi}\n")
    db = tmp_path / "data" / "raccordo.db"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(root), str(db), str(COMMITTED)],
                            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == f"in transaction {COMMITTED + 1}"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert _committed(db) == COMMITTED  # the one being written when killed is rolled back

    store = Store(db)
    assert store.connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    docs = store.documents()
    assert all(d.status == "indexed" and d.chunks >= 1 for d in docs)
    orphans = store.connection.execute(
        "SELECT COUNT(*) FROM chunks WHERE doc_id NOT IN (SELECT id FROM documents)").fetchone()
    assert orphans == (0,)

    report = ingest_path(root, store)
    statuses = [o.status for o in report.outcomes]
    assert statuses.count("unchanged") == len(docs)
    assert statuses.count("indexed") == n_files - len(docs)
    assert store.counts()["documents"] == n_files


# The parse child prints its pid and hangs; the parent is killed with -9 meanwhile.
HANGING_PARSE = """
import os, time
import ingest.sandbox as sandbox
def hang(data, fmt, **options):
    print(os.getpid(), flush=True)
    time.sleep(600)
sandbox.read_bytes = hang
sandbox.parse_isolated(b"testo", "text", timeout_s=600)
"""


def test_parse_child_dies_with_its_killed_parent() -> None:
    """An orphaned parse child would keep the parent's sockets (a worker's job lock) open."""
    import time

    import psutil

    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-c", HANGING_PARSE], env=env,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    child = int(proc.stdout.readline())
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 30
    while True:
        try:
            if psutil.Process(child).status() == psutil.STATUS_ZOMBIE:
                break
        except psutil.NoSuchProcess:
            break
        assert time.monotonic() < deadline, "the parse child outlived its parent"
        time.sleep(0.05)
