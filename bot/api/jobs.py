"""Uploads ingested in the background: one worker, a bounded queue, a status per job.

An upload is saved (after the key and size checks) and answered at once with 202 and a
job id; a single worker thread ingests queued files one after the other with the writer's
own embedding engine, so searches never wait for it. GET /api/jobs/{id} tells how it went.
Jobs live in memory: a restart forgets them (saved files are re-ingested by the next
`raccordo ingest` of the uploads folder, or deleted by hand).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from bot.app.service import Raccordo
from bot.errors import Busy
from ingest.errors import RaccordoError
from ingest.store import StoredDocument

log = logging.getLogger(__name__)

JobStatus = Literal["queued", "running", "indexed", "rejected"]
KEEP_JOBS = 1000
Ingest = Callable[[Raccordo, Path, dict[str, str]], StoredDocument]
Done = Callable[["Job"], None]


@dataclass
class Job:
    """One upload on its way into the index."""

    id: str
    file: str
    actor: str
    status: JobStatus = "queued"
    created: float = field(default_factory=time.time)
    finished: float | None = None
    document_id: int | None = None
    error: tuple[str, str] | None = None  # (code, Italian message)

    def to_json(self) -> dict[str, Any]:
        """The job as the status endpoint shows it."""
        error = {"code": self.error[0], "message": self.error[1]} if self.error else None
        return {"id": self.id, "status": self.status, "file": self.file,
                "created": self.created, "finished": self.finished,
                "document_id": self.document_id, "error": error}


class UploadJobs:
    """The upload queue of one app."""

    def __init__(self, service: Raccordo, ingest: Ingest, *, max_pending: int,
                 on_done: Done | None = None) -> None:
        self.service = service
        self.ingest = ingest
        self.max_pending = max_pending
        self.on_done = on_done
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="upload")

    def pending(self) -> int:
        """Jobs queued or running."""
        with self._lock:
            return sum(1 for j in self._jobs.values() if j.status in ("queued", "running"))

    def submit(self, path: Path, meta: Mapping[str, str], actor: str) -> Job:
        """Queue a saved file; `Busy` (and the file deleted) when the queue is full."""
        if self.pending() >= self.max_pending:
            path.unlink(missing_ok=True)
            raise Busy("Troppi caricamenti in attesa: riprova tra qualche minuto.",
                       retry_after_s=60)
        job = Job(id=secrets.token_urlsafe(12), file=path.name, actor=actor)
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > KEEP_JOBS:
                self._jobs.popitem(last=False)
        self._pool.submit(self._run, job, path, dict(meta))
        return job

    def get(self, job_id: str) -> Job | None:
        """A job by id (None when unknown or forgotten)."""
        with self._lock:
            return self._jobs.get(job_id)

    def wait(self, job_id: str, timeout_s: float) -> Job | None:
        """Poll until the job has finished or the timeout passes (tests, CLI)."""
        deadline = time.monotonic() + timeout_s
        while True:
            job = self.get(job_id)
            if job is None or job.finished is not None or time.monotonic() > deadline:
                return job
            time.sleep(0.05)

    def close(self) -> None:
        """Stop taking jobs; queued ones are dropped, a running one finishes."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _run(self, job: Job, path: Path, meta: dict[str, str]) -> None:
        job.status = "running"
        try:
            stored = self.ingest(self.service, path, meta)
        except RaccordoError as exc:
            from bot.api.errors import status_of

            job.status, job.error = "rejected", (status_of(exc)[1], str(exc))
        except Exception:  # a bug on one file must not stop the worker
            log.exception("upload job %s failed", job.id)
            path.unlink(missing_ok=True)
            job.status = "rejected"
            job.error = ("errore_interno", "Errore interno durante l'acquisizione.")
        else:
            job.status, job.document_id = "indexed", stored.id
        job.finished = time.time()
        if self.on_done is not None:
            self.on_done(job)
