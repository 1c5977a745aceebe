"""The ingestion queue in PostgreSQL: `raccordo ingest` enqueues files, workers take them.

Taking a job: the oldest open job whose session advisory lock can be had (the advisory-lock
form of SKIP LOCKED), held on the worker's own connection for as long as the job runs. A job
left 'running' by a worker killed with -9 has no lock any more (the server drops it with the
connection), so the next worker takes it again; the document transaction it was in was
rolled back, and a retry of a file whose transaction did commit finds it unchanged: nothing
lost, nothing duplicated.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingest.pgdb import Database
from ingest.pipeline import FileOutcome, RunPlan, finish_run, is_current, plan_run, sha256_of
from ingest.storeapi import DocumentStore

if TYPE_CHECKING:
    import psycopg

JOB_LOCK = 7_260_014  # advisory lock class of jobs: (JOB_LOCK, job id)
JOB_COLUMNS = "id, batch, source, file, sha256, content, fields, rebuild, attempts"


@dataclass(frozen=True)
class Job:
    """One file to ingest."""

    id: int
    batch: str
    source: str
    file: str
    sha256: str
    content: bytes
    fields: dict[str, str]
    rebuild: bool
    attempts: int


@dataclass
class Enqueued:
    """What `enqueue_path` did."""

    batch: str
    source: str
    queued: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)  # already in the queue
    removed: list[FileOutcome] = field(default_factory=list)


def worker_name() -> str:
    """host:pid, for the jobs table."""
    return f"{socket.gethostname()}:{os.getpid()}"


class JobQueue:
    """Enqueue, take, finish and count jobs."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def enqueue_path(self, root: Path, store: DocumentStore, *, rebuild: bool = False
                     ) -> Enqueued:
        """Queue every new or changed file of a folder; remove vanished ones now."""
        plan = plan_run(root, store, rebuild=rebuild)
        out = Enqueued(batch=uuid.uuid4().hex[:12], source=plan.source)
        for rel in plan.files:
            self._enqueue_file(plan, rel, store, out)
        out.removed = finish_run(plan, store)
        return out

    def _enqueue_file(self, plan: RunPlan, rel: str, store: DocumentStore,
                      out: Enqueued) -> None:
        try:
            data = (plan.folder / rel).read_bytes()
        except OSError:
            data = b""  # the worker records it as unreadable
        digest, fields = sha256_of(data), plan.fields(rel)
        stored = store.find_document(plan.source, rel)
        if stored is not None and is_current(stored, digest, fields, rebuild=plan.rebuild):
            out.unchanged.append(rel)
            return
        with self.db.connect() as conn:
            row = conn.execute(
                "INSERT INTO jobs(batch, source, file, sha256, content, fields, rebuild,"
                " enqueued_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (source, file)"
                " WHERE status IN ('queued', 'running') DO NOTHING RETURNING id",
                (out.batch, plan.source, rel, digest, data, json.dumps(fields), plan.rebuild,
                 time.time())).fetchone()
        (out.queued if row else out.pending).append(rel)

    def take(self, conn: psycopg.Connection[Any]) -> Job | None:
        """The oldest open job nobody holds, locked on `conn` (the worker's own connection).

        The session advisory lock is what keeps two workers apart (`pg_try_advisory_lock`
        skips a held job the way SKIP LOCKED skips a locked row); the status condition of the
        UPDATE drops a job another worker finished since the SELECT. A job whose attempts are
        used up is marked failed instead of being run again.
        """
        ids = [int(r[0]) for r in conn.execute(
            "SELECT id FROM jobs WHERE status IN ('queued', 'running') ORDER BY id LIMIT 64")]
        for job_id in ids:
            got = conn.execute("SELECT pg_try_advisory_lock(%s, %s)",
                               (JOB_LOCK, job_id)).fetchone()
            if got is None or not got[0]:
                continue  # a live worker runs it
            row = conn.execute(
                "UPDATE jobs SET status = CASE WHEN attempts >= max_attempts THEN 'failed'"
                " ELSE 'running' END, attempts = attempts + 1, worker = %s, started_at = %s,"
                " error = CASE WHEN attempts >= max_attempts THEN 'interrotto troppe volte'"
                " ELSE error END WHERE id = %s AND status IN ('queued', 'running')"
                f" RETURNING status, {JOB_COLUMNS}", (worker_name(), time.time(), job_id)
            ).fetchone()
            if row is not None and row[0] == "running":
                return _job(row[1:])
            self.release(conn, job_id)
        return None

    def release(self, conn: psycopg.Connection[Any], job_id: int) -> None:
        """Drop the worker's lock on a job."""
        conn.execute("SELECT pg_advisory_unlock(%s, %s)", (JOB_LOCK, job_id))

    def finish(self, conn: psycopg.Connection[Any], job: Job, outcome: FileOutcome) -> None:
        """Mark a job done with its outcome, drop its bytes and its lock."""
        conn.execute("UPDATE jobs SET status='done', outcome=%s, chunks=%s, error=%s,"
                     " content=NULL, finished_at=%s WHERE id=%s",
                     (outcome.status, outcome.chunks, outcome.reason, time.time(), job.id))
        self.release(conn, job.id)

    def fail(self, conn: psycopg.Connection[Any], job: Job, error: str) -> None:
        """Put a job back in the queue (or fail it when its attempts are used up)."""
        conn.execute("UPDATE jobs SET status = CASE WHEN attempts >= max_attempts THEN"
                     " 'failed' ELSE 'queued' END, error=%s, finished_at=%s WHERE id=%s",
                     (error[:500], time.time(), job.id))
        self.release(conn, job.id)

    def progress(self, batch: str | None = None) -> dict[str, int]:
        """Jobs per status (of one batch, or of all)."""
        where, args = ("WHERE batch = %s", (batch,)) if batch else ("", ())
        with self.db.connect() as conn:
            rows = conn.execute(f"SELECT status, COUNT(*) FROM jobs {where} GROUP BY status",
                                args).fetchall()
        counts = {s: 0 for s in ("queued", "running", "done", "failed")}
        counts.update({str(s): int(n) for s, n in rows})
        return counts


def _job(row: Any) -> Job:
    return Job(id=int(row[0]), batch=str(row[1]), source=str(row[2]), file=str(row[3]),
               sha256=str(row[4]), content=bytes(row[5] or b""),
               fields=dict(json.loads(row[6])), rebuild=bool(row[7]), attempts=int(row[8]))
