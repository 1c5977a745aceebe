"""`raccordo worker`: takes ingestion jobs from the PostgreSQL queue and runs them."""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.app.service import Raccordo
from bot.errors import BadRequest
from ingest.errors import RaccordoError
from ingest.pgqueue import Job, JobQueue
from ingest.pgstore import PgStore
from ingest.pipeline import FileOutcome, Limits, ingest_file

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)

POLL_S = 1.0


@dataclass
class WorkerReport:
    """What a worker did in its run."""

    done: list[tuple[Job, FileOutcome]] = field(default_factory=list)
    failed: list[tuple[Job, str]] = field(default_factory=list)


class Worker:
    """One worker process: one job at a time, on its own connection (see ingest.pgqueue)."""

    def __init__(self, service: Raccordo) -> None:
        if service.backend != "postgresql":
            raise BadRequest("`raccordo worker` serve solo con RACCORDO_DATABASE_URL "
                             "(backend PostgreSQL).")
        store = service.store
        assert isinstance(store, PgStore)
        self.service = service
        self.store = store
        self.queue = JobQueue(store.db)

    def run(self, *, until_idle: bool = False, max_jobs: int | None = None,
            on_job: Callable[[Job, FileOutcome | str], None] | None = None) -> WorkerReport:
        """Take and run jobs; tag themes whenever the queue runs dry after some work.

        `until_idle` returns when no job is left (else the worker polls forever).
        """
        import psycopg

        report = WorkerReport()
        conn = self.store.db.dedicated()
        try:
            return self._loop(conn, report, until_idle, max_jobs, on_job)
        except psycopg.OperationalError as exc:  # the worker's own session is gone
            raise self.store.db.unavailable(exc) from None
        finally:
            conn.close()

    def _loop(self, conn: psycopg.Connection[Any], report: WorkerReport, until_idle: bool,
              max_jobs: int | None, on_job: Callable[[Job, FileOutcome | str], None] | None
              ) -> WorkerReport:
        untagged = False
        while max_jobs is None or len(report.done) + len(report.failed) < max_jobs:
            job = self.queue.take(conn)
            if job is None:
                if untagged:
                    untagged = not self._tag()
                if until_idle:
                    break
                time.sleep(POLL_S)
                continue
            result = self._run(conn, job, report)
            untagged = True
            if on_job is not None:
                on_job(job, result)
        if untagged:
            self._tag()
        return report

    def _tag(self) -> bool:
        """Tag the new passages with the network's themes; False when it must wait (busy
        model, lost database), to be tried again at the next idle moment."""
        try:
            self.service.build_index()  # on PostgreSQL: theme tagging only
        except RaccordoError as exc:
            log.warning("temi non aggiornati, riprovo più tardi: %s", exc)
            return False
        return True

    def _run(self, conn: psycopg.Connection[Any], job: Job, report: WorkerReport
             ) -> FileOutcome | str:
        try:
            outcome = run_job(job, self.store, self.service.ingest_limits())
        except RaccordoError as exc:  # e.g. the database went away mid-job: try again later
            log.warning("job %s: %s", job.id, exc)
            self.queue.fail(conn, job, str(exc))
            report.failed.append((job, str(exc)))
            return str(exc)
        self.queue.finish(conn, job, outcome)
        report.done.append((job, outcome))
        return outcome


def run_job(job: Job, store: PgStore, limits: Limits | None = None) -> FileOutcome:
    """Parse, embed and store one queued file (its bytes come with the job)."""
    with tempfile.TemporaryDirectory(prefix="raccordo-job-") as tmp:
        path = Path(tmp) / Path(job.file).name
        path.write_bytes(job.content)
        return ingest_file(path, store, source=job.source, file=job.file, meta=job.fields,
                           limits=limits, rebuild=job.rebuild)
