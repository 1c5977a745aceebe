"""The `raccordo` command: one CLI driving everything."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from bot.app.settings import Settings
from bot.cli import answers, bench, corpus, feedback, network, retrieval, scaling, server, telegram

app = typer.Typer(
    name="raccordo",
    help="Raccordo: base di conoscenza con risposte citate per le Città metropolitane.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Cartella dei dati (RACCORDO_DATA_DIR).")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log dettagliati.")] = False,
) -> None:
    """Build the settings once for the whole run."""
    _configure_logging(verbose)
    settings = Settings()
    if data_dir is not None:
        settings = settings.model_copy(update={"data_dir": data_dir})
    ctx.obj = settings


def _configure_logging(verbose: bool) -> None:
    level = logging.DEBUG if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Some libraries (bm25s) set their own logger to DEBUG on import, and records propagate
    # to the root handler whatever the root level: the handler's level keeps them quiet.
    for handler in logging.getLogger().handlers:
        handler.setLevel(level)
    # httpx logs request URLs, which hold the Telegram token: keep it quiet.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


for _module in (corpus, retrieval, bench, answers, feedback, telegram, server, network,
                scaling):
    _module.register(app)


def main() -> None:
    """Console entry point."""
    app()


if __name__ == "__main__":
    main()
