"""CLI commands of the scale-out backend: `migrate --to`, `worker`, and the queueing side of
`ingest` on PostgreSQL."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.common import EXIT_FAILED, EXIT_OK, DataDirOpt, edge, settings_for

if TYPE_CHECKING:
    from bot.app.service import Raccordo
    from ingest.pgqueue import Job
    from ingest.pipeline import FileOutcome


def register(app: typer.Typer) -> None:
    """Add this group's commands to the CLI."""
    app.command("migrate")(migrate)
    app.command("worker")(worker)


def migrate(
    ctx: typer.Context,
    to: Annotated[str, typer.Option("--to", help="URL del database PostgreSQL di destinazione "
                                    "(postgresql://utente:password@host:5432/db).")],
    data_dir: DataDirOpt = None,
) -> None:
    """Copia la cartella dei dati (archivio, vettori, tabelle) in PostgreSQL, senza ricalcolare
    gli embedding, e dice cosa ha copiato."""
    from bot.app.moving import move_to_postgres

    settings = settings_for(ctx, data_dir)
    with edge():
        report = move_to_postgres(settings.data_dir, to)
    typer.echo(report.summary())
    typer.echo("Per usarlo: RACCORDO_DATABASE_URL=<lo stesso URL> raccordo serve")


def worker(
    ctx: typer.Context,
    until_idle: Annotated[bool, typer.Option("--until-idle",
                                             help="Esce quando la coda è vuota.")] = False,
    data_dir: DataDirOpt = None,
) -> None:
    """Prende dalla coda PostgreSQL i file da analizzare e indicizzare (più worker in
    parallelo, anche su macchine diverse)."""
    from bot.app.service import Raccordo
    from bot.app.worker import Worker

    settings = settings_for(ctx, data_dir)

    def echo(job: Job, result: FileOutcome | str) -> None:
        if isinstance(result, str):
            typer.echo(f"[{job.id}] {job.file}: errore, ritento più tardi ({result})")
        else:
            typer.echo(f"[{job.id}] {job.file}: {result.status}, {result.chunks} chunk, "
                       f"{result.seconds:.1f} s" + (f" ({result.reason})" if result.reason
                                                     else ""))

    with edge():
        service = Raccordo(settings)
        try:
            report = Worker(service).run(until_idle=until_idle, on_job=echo)
        finally:
            service.close()
    typer.echo(f"Lavori completati: {len(report.done)}, da ritentare: {len(report.failed)}.")


def enqueue(service: Raccordo, path: Path, *, rebuild: bool, wait: bool) -> int:
    """`raccordo ingest` on PostgreSQL: queue the files, optionally follow the workers."""
    done = service.enqueue(path, rebuild=rebuild)
    typer.echo(f"In coda: {len(done.queued)} file (lotto {done.batch}); già in coda: "
               f"{len(done.pending)}; invariati: {len(done.unchanged)}; rimossi: "
               f"{len(done.removed)}.")
    if not done.queued:
        return EXIT_OK
    if not wait:
        typer.echo("Avvia uno o più `raccordo worker`; avanzamento: "
                   "`raccordo ingest --wait` o la tabella jobs.")
        return EXIT_OK
    counts = follow(service, done.batch)
    return EXIT_FAILED if counts["failed"] else EXIT_OK


def follow(service: Raccordo, batch: str) -> dict[str, int]:
    """Print a batch's progress until no job of it is open."""
    from ingest.pgqueue import JobQueue
    from ingest.pgstore import PgStore

    store = service.store
    assert isinstance(store, PgStore)
    queue, last = JobQueue(store.db), ""
    while True:
        counts = queue.progress(batch)
        line = (f"in coda {counts['queued']}, in corso {counts['running']}, completati "
                f"{counts['done']}, falliti {counts['failed']}")
        if line != last:
            typer.echo(line)
            last = line
        if counts["queued"] + counts["running"] == 0:
            return counts
        time.sleep(1.0)
