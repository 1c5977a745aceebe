"""Shared pieces of the CLI: the data-dir option, settings, error translation."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from bot.app.service import Raccordo

from bot.app.settings import Settings
from ingest.errors import RaccordoError

DataDirOpt = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Cartella dei dati (default: RACCORDO_DATA_DIR o ./data)."),
]

EXIT_OK = 0
EXIT_FAILED = 1  # the command ran but something failed (e.g. a file skipped)
EXIT_ERROR = 3  # the command could not run (bad input, missing index, ...)


def service_for(ctx: typer.Context, data_dir: Path | None = None) -> Raccordo:
    """The application object of this run (the caller closes it)."""
    from bot.app.service import Raccordo

    return Raccordo(settings_for(ctx, data_dir))


def settings_for(ctx: typer.Context, data_dir: Path | None = None) -> Settings:
    """The one Settings object of this run, with CLI overrides applied."""
    base: Settings | None = ctx.obj if isinstance(ctx.obj, Settings) else None
    root = ctx.find_root()
    if base is None and isinstance(root.obj, Settings):
        base = root.obj
    if base is None:
        base = Settings()
    if data_dir is not None:
        base = base.model_copy(update={"data_dir": data_dir})
    ctx.obj = base
    return base


@contextmanager
def edge() -> Iterator[None]:
    """Translate Raccordo errors into an Italian message on stderr and an exit code."""
    try:
        yield
    except RaccordoError as exc:
        typer.echo(f"Errore: {exc}", err=True)
        raise typer.Exit(EXIT_ERROR) from None


def print_json(payload: Any) -> None:
    """Print JSON (UTF-8, not ASCII-escaped) on stdout."""
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")


Registrar = Callable[[typer.Typer], None]
