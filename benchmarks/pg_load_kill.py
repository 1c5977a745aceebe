"""Two API servers and two workers on one PostgreSQL, 20 clients searching, one worker killed
with -9 in the middle of a job: errors, lost and duplicated chunks (count and checksum).

Usage:
  python -m benchmarks.pg_load_kill --server-url URL --reference-db DIR/raccordo.db
      [--corpus DIR] [--clients 20] [--kill-after 5]
The corpus (default: the shared one) is queued with `raccordo ingest`; two `raccordo serve`
and two `raccordo worker` processes start; `--clients` threads search both servers in turn
until the queue is drained. Once `--kill-after` jobs are done, the worker holding a running
job is killed with SIGKILL (and not replaced). At the end the stored chunks are compared with
a reference SQLite store of the same corpus (`raccordo ingest` in embedded mode): same count,
same checksum of (file, ordinal, text), no file stored twice. The embedding cache should be
warm (RACCORDO_CACHE_DIR), or the run takes the ~20 minutes of embedding.
Target (issue 13): 0 errors, 0 lost or duplicated chunks.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psycopg

from benchmarks.pg_workers import SHARED, fresh_database
from index.benchmark import percentiles

REPO = Path(__file__).resolve().parents[1]
QUERIES = ("Chi approva il bilancio della città metropolitana?", "pagamento con pagoPA",
           "art. 107 del TUEL", "occupazione di suolo pubblico", "accessibilità dei siti web",
           "conferenza unificata", "trattamento dei dati personali", "passi carrabili")


def digest(rows: list[tuple[object, ...]]) -> tuple[int, str]:
    """Count and sha256 of sorted rows."""
    h = hashlib.sha256()
    for row in sorted(rows, key=repr):
        h.update(repr(row).encode())
    return len(rows), h.hexdigest()[:16]


def reference(db: Path) -> tuple[int, str]:
    """(file, ordinal, text) fingerprint of an embedded store."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT d.file, c.ordinal, c.text FROM chunks c JOIN documents d"
                            " ON d.id = c.doc_id").fetchall()
    return digest([tuple(r) for r in rows])


class Clients:
    """Threads searching the servers in turn, counting answers and errors."""

    def __init__(self, bases: list[str], n: int) -> None:
        self.bases, self.n = bases, n
        self.stop = threading.Event()
        self.latencies: list[float] = []
        self.errors: dict[str, int] = {}
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(i,)) for i in range(n)]

    def _run(self, i: int) -> None:
        rng = random.Random(i)
        with httpx.Client(timeout=30) as http:
            while not self.stop.is_set():
                base = self.bases[rng.randrange(len(self.bases))]
                started = time.perf_counter()
                try:
                    r = http.get(base + "/api/search", params={"q": rng.choice(QUERIES), "k": 5})
                    key = None if r.status_code == 200 else str(r.status_code)
                except httpx.HTTPError as exc:
                    key = type(exc).__name__
                with self.lock:
                    self.latencies.append((time.perf_counter() - started) * 1000)
                    if key is not None:
                        self.errors[key] = self.errors.get(key, 0) + 1


def wait_ready(base: str, timeout_s: float = 300) -> None:
    """Until /readyz answers 200."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/readyz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{base} never became ready")


def query(url: str, sql: str) -> list[tuple[object, ...]]:
    """Rows of one query."""
    with psycopg.connect(url) as conn:
        return [tuple(r) for r in conn.execute(sql).fetchall()]


def start(env: dict[str, str], tmp: Path, corpus: Path) -> tuple[list[subprocess.Popen[bytes]],
                                                                list[str]]:
    """Queue the corpus, start two servers and wait until both are ready."""
    cli = [sys.executable, "-m", "bot.cli.main"]
    subprocess.run([*cli, "ingest", str(corpus), "--data-dir", str(tmp / "q")], env=env,
                   check=True, capture_output=True)
    ports = (8711, 8712)
    servers = [subprocess.Popen([*cli, "serve", "--port", str(p), "--data-dir",
                                 str(tmp / f"api{p}")], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL) for p in ports]
    bases = [f"http://127.0.0.1:{p}" for p in ports]
    for base in bases:
        wait_ready(base)
    return servers, bases


def drain_killing_one(url: str, env: dict[str, str], tmp: Path, kill_after: int
                      ) -> tuple[list[subprocess.Popen[bytes]], dict[str, object]]:
    """Start two workers; SIGKILL the one running a job once `kill_after` jobs are done;
    return when no job is open."""
    cli = [sys.executable, "-m", "bot.cli.main"]
    workers = [subprocess.Popen([*cli, "worker", "--data-dir", str(tmp / f"w{i}")], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for i in range(2)]
    killed: dict[str, object] = {}
    while query(url, "SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running')")[0][0]:
        done = int(str(query(url, "SELECT COUNT(*) FROM jobs WHERE status = 'done'")[0][0]))
        running = query(url, "SELECT id, file, worker FROM jobs WHERE status = 'running'")
        if not killed and done >= kill_after and running:
            job_id, file, worker = running[0]
            pid = int(str(worker).rsplit(":", 1)[1])
            os.kill(pid, signal.SIGKILL)
            killed = {"job": job_id, "file": file, "pid": pid, "after_done": done}
        time.sleep(0.2)
    return workers, killed


def check(url: str, reference_db: Path) -> dict[str, object]:
    """Stored chunks against the reference: count, checksum, files stored twice."""
    stored = digest([tuple(r) for r in query(url, "SELECT d.file, c.ordinal, c.text FROM chunks"
                                                  " c JOIN documents d ON d.id = c.doc_id")])
    twice = query(url, "SELECT COUNT(*) FROM (SELECT 1 FROM documents GROUP BY source, file"
                       " HAVING COUNT(*) > 1) d")[0][0]
    expected = reference(reference_db)
    return {"chunks": stored[0], "checksum": stored[1],
            "reference": {"chunks": expected[0], "checksum": expected[1]},
            "files_stored_twice": twice,
            "job_attempts": query(url, "SELECT attempts, COUNT(*) FROM jobs GROUP BY 1"
                                       " ORDER BY 1"),
            "lost_or_duplicated": stored != expected or twice != 0}


def main() -> None:
    """Run the scenario and print one JSON object."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--server-url", required=True)
    parser.add_argument("--reference-db", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpus")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--kill-after", type=int, default=5)
    args = parser.parse_args()
    url = fresh_database(args.server_url, "bench_load")
    tmp = Path(tempfile.mkdtemp(prefix="raccordo-load-"))
    env = dict(os.environ, PYTHONPATH=str(REPO), RACCORDO_DATABASE_URL=url,
               RACCORDO_RATE_LIMIT_API="0")  # 20 clients share one address
    servers, bases = start(env, tmp, args.corpus)
    clients = Clients(bases, args.clients)
    for t in clients.threads:
        t.start()
    started = time.perf_counter()
    workers, killed = drain_killing_one(url, env, tmp, args.kill_after)
    drained = time.perf_counter() - started
    clients.stop.set()
    for t in clients.threads:
        t.join()
    for p in [*workers, *servers]:
        if p.poll() is None:
            p.terminate()
            p.wait()
    print(json.dumps({
        "clients": args.clients, "servers": 2, "workers": 2, "drain_s": round(drained, 1),
        "requests": len(clients.latencies), "errors": clients.errors,
        "search_ms": {k: round(v, 1) for k, v in percentiles(clients.latencies).items()},
        "killed": killed, **check(url, args.reference_db)}, default=str))


if __name__ == "__main__":
    main()
