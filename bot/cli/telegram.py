"""CLI commands: `raccordo bot` (Telegram, long polling)."""

from __future__ import annotations

import logging

import typer
from telegram import Update

from bot.cli.common import DataDirOpt, edge, settings_for


def register(app: typer.Typer) -> None:
    """Add this group's commands to the CLI."""
    app.command("bot")(bot)


def bot(ctx: typer.Context, data_dir: DataDirOpt = None) -> None:
    """Avvia il bot Telegram in long polling (il webhook è servito da `raccordo serve`)."""
    settings = settings_for(ctx, data_dir)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its URLs hold the token
    with edge():
        from bot.app.service import Raccordo
        from bot.telegram.app import build_application

        service = Raccordo(settings)
        try:
            application = build_application(settings, service)
            if settings.telegram_webhook_url:
                typer.echo("Attenzione: RACCORDO_TELEGRAM_WEBHOOK_URL è impostato, ma il long "
                           "polling rimuove il webhook registrato.", err=True)
            typer.echo("Bot avviato (long polling). Ctrl+C per fermarlo.", err=True)
            application.run_polling(allowed_updates=Update.ALL_TYPES)
        finally:
            service.close()
