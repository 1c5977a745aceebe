"""CLI commands of the practice network: `themes`, `similar`, `compare`, `report`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.common import EXIT_ERROR, DataDirOpt, edge, print_json, service_for

if TYPE_CHECKING:
    pass


def register(app: typer.Typer) -> None:
    """Add this group's commands to the CLI."""
    app.command("themes")(themes)
    app.command("similar")(similar)
    app.command("compare")(compare)
    app.command("report")(report)


def themes(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Output JSON.")] = False,
    data_dir: DataDirOpt = None,
) -> None:
    """Mostra i temi della rete con il numero di documenti per città."""
    from bot.network.themes import chunk_counts_by_theme, theme_counts_by_city

    with edge():
        service = service_for(ctx, data_dir)
        taxonomy = service.network.taxonomy
        counts = theme_counts_by_city(service.store)
        chunks = chunk_counts_by_theme(service.store)
        service.close()
    if as_json:
        print_json([{"id": t.id, "label": t.label, "kind": t.kind, "parent": t.parent,
                     "documents": sum(counts.get(t.id, {}).values()),
                     "chunks": chunks.get(t.id, 0), "by_city": counts.get(t.id, {})}
                    for t in taxonomy.themes])
        return
    rows = [("tema", "etichetta", "doc.", "passaggi", "per città")]
    for t in taxonomy.themes:
        by_city = counts.get(t.id, {})
        cities = ", ".join(f"{c} {n}" for c, n in sorted(by_city.items(),
                                                          key=lambda kv: (-kv[1], kv[0])))
        indent = "  " if t.parent else ""
        rows.append((indent + t.id, t.label, str(sum(by_city.values())),
                     str(chunks.get(t.id, 0)), cities or "—"))
    _table(rows)


def similar(
    ctx: typer.Context,
    document: Annotated[str | None, typer.Argument(
        help="Id o nome del file del documento di partenza.")] = None,
    text: Annotated[str | None, typer.Option("--text", help="Descrizione libera di una pratica.")
                    ] = None,
    k: Annotated[int, typer.Option("-k", help="Quanti documenti simili mostrare.")] = 5,
    other_cities: Annotated[bool, typer.Option(
        "--other-cities", help="Escludi i documenti della stessa città.")] = False,
    city: Annotated[str | None, typer.Option(
        "--city", help="Con --text e --other-cities: la città da escludere.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Output JSON.")] = False,
    data_dir: DataDirOpt = None,
) -> None:
    """Trova pratiche simili a un documento o a una descrizione (--text)."""
    from bot.network.similar import (
        describe_similar,
        resolve_document,
        similar_to_document,
        similar_to_text,
    )

    if (document is None) == (text is None):
        typer.echo("Errore: indica un documento oppure --text \"descrizione\".", err=True)
        raise typer.Exit(EXIT_ERROR)
    with edge():
        service = service_for(ctx, data_dir)
        try:
            if document is not None:
                source = resolve_document(service.store, document)
                results = similar_to_document(service.network, source.id, k=k,
                                              other_cities=other_cities)
                head: dict[str, object] = {"document": source.to_json()}
            else:
                results = similar_to_text(service.network, text or "", k=k,
                                          exclude_city=city if other_cities else None)
                head = {"text": text}
        finally:
            service.close()
    if as_json:
        print_json({**head, "other_cities": other_cities,
                    "similar": [r.to_json() for r in results]})
        return
    typer.echo(describe_similar(results))


def compare(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="La domanda da confrontare.")],
    by: Annotated[str, typer.Option("--by", help="Dimensione del confronto (solo: city).")
                  ] = "city",
    kind: Annotated[str | None, typer.Option("--kind", help="Tipo di documento.")] = None,
    theme: Annotated[str | None, typer.Option("--theme", help="Tema.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Output JSON.")] = False,
    data_dir: DataDirOpt = None,
) -> None:
    """Risponde alla domanda città per città e dice quali città non hanno nulla."""
    from bot.network.compare import describe_comparison
    from index.models import Filters

    if by != "city":
        typer.echo("Errore: per ora il confronto è solo per città (--by city).", err=True)
        raise typer.Exit(EXIT_ERROR)
    with edge():
        service = service_for(ctx, data_dir)
        try:
            result = service.compare(question, Filters(kind=kind, theme=theme))
        finally:
            service.close()
    if as_json:
        print_json(result.to_json())
        return
    typer.echo(describe_comparison(result))


def report(
    ctx: typer.Context,
    since: Annotated[str | None, typer.Option(
        "--since", help="Domande dal giorno AAAA-MM-GG (default: tutte).")] = None,
    csv_dir: Annotated[Path | None, typer.Option(
        "--csv-dir", help="Cartella in cui scrivere i file CSV.")] = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Stampa il rapporto della rete in Markdown (e scrive i CSV con --csv-dir)."""
    from bot.network.report import render_markdown, write_csv
    from bot.network.stats import since_epoch

    try:
        day = date.fromisoformat(since) if since else None
    except ValueError:
        typer.echo(f"Errore: data non valida «{since}» (usa AAAA-MM-GG).", err=True)
        raise typer.Exit(EXIT_ERROR) from None
    with edge():
        service = service_for(ctx, data_dir)
        try:
            stats = service.stats(since_epoch(day))
        finally:
            service.close()
    typer.echo(render_markdown(stats), nl=False)
    if csv_dir is not None:
        for path in write_csv(stats, csv_dir):
            typer.echo(f"CSV: {path}", err=True)


def _table(rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for n, row in enumerate(rows):
        cells = [c.ljust(w) for c, w in zip(row[:-1], widths, strict=True)]
        typer.echo("  ".join([*cells, row[-1]]).rstrip())
        if n == 0:
            typer.echo("  ".join("-" * w for w in [*widths, len(row[-1])]))
