"""CLI commands: `raccordo ingest` and `raccordo documents` (the corpus in the store)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.app.settings import Settings
from bot.cli.common import EXIT_FAILED, EXIT_OK, DataDirOpt, edge, print_json, settings_for
from ingest.version import italian_date


def register(app: typer.Typer) -> None:
    """Add this group's commands to the CLI."""
    app.command("ingest")(ingest)
    app.command("documents")(documents)


def ingest(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="Cartella (o file) di documenti da indicizzare.",
                                         exists=True)],
    rebuild: Annotated[bool, typer.Option("--rebuild",
                                          help="Rianalizza tutti i file, anche invariati.")
                       ] = False,
    reembed: Annotated[bool, typer.Option("--reembed",
                                          help="Ricostruisce l'indice anche senza modifiche.")
                       ] = False,
    wait: Annotated[bool, typer.Option("--wait", help="PostgreSQL: segue i worker fino alla "
                                       "fine del lotto.")] = False,
    data_dir: DataDirOpt = None,
) -> None:
    """Acquisisce una cartella (incrementale) e stampa l'esito per file.

    Con RACCORDO_DATABASE_URL mette i file in coda per `raccordo worker`.
    """
    from bot.app.service import Raccordo
    from bot.cli.scaling import enqueue

    settings = settings_for(ctx, data_dir)
    with edge():
        service = Raccordo(settings)
        if service.backend == "postgresql":
            try:
                code = enqueue(service, path, rebuild=rebuild, wait=wait)
            finally:
                service.close()
            raise typer.Exit(code)
        try:
            report = service.ingest(path, rebuild=rebuild, reembed=reembed,
                                    progress=sys.stderr.isatty())
        finally:
            service.close()
    typer.echo(report.summary())
    raise typer.Exit(EXIT_FAILED if report.failed else EXIT_OK)


def documents(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Elenco in JSON.")] = False,
    data_dir: DataDirOpt = None,
) -> None:
    """Elenca i documenti archiviati (indicizzati o scartati, con il motivo)."""
    from bot.app.service import Raccordo

    settings = settings_for(ctx, data_dir)
    with edge():
        service = Raccordo(settings)
        try:
            docs = service.store.documents()
        finally:
            service.close()
    if as_json:
        print_json([d.to_json() for d in docs])
        return
    if not docs:
        typer.echo("Nessun documento in archivio.")
        return
    for d in docs:
        state = "indicizzato" if d.status == "indexed" else f"scartato: {d.reason}"
        pages = f", {d.pages} pag." if d.pages else ""
        if d.meta.in_force:
            pages += f", vigente al {italian_date(d.meta.in_force)}"
        typer.echo(f"[{d.id}] {d.file} — {d.meta.title} ({d.meta.kind}{pages}, "
                   f"{d.chunks} chunk) {state}")
    typer.echo(f"Modello di riordino delle risposte: {ranker_status(settings)}")


def ranker_status(settings: Settings) -> str:
    """Whether answers use our re-ranking model ('attivo'), and why not otherwise."""
    from bot.app.service import Raccordo

    service = Raccordo(settings)
    try:
        _ = service.ranker
        return service.ranker_status
    finally:
        service.close()
