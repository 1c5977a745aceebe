"""CLI commands of the scale-out backend: `raccordo migrate --to postgresql://…`."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli.common import DataDirOpt, edge, settings_for


def register(app: typer.Typer) -> None:
    """Add this group's commands to the CLI."""
    app.command("migrate")(migrate)


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
