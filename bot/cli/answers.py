"""CLI command `raccordo ask`: a cited answer, or an abstention."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import typer

from bot.answers.answerer import render_text
from bot.answers.models import AMENDED_NOTE, Answer
from bot.cli.common import DataDirOpt, edge, print_json, settings_for
from bot.errors import BadRequest
from index.models import Filters


def register(app: typer.Typer) -> None:
    """Add this group's commands to the CLI."""
    app.command("ask")(ask)


def ask(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="La domanda, in italiano.")],
    kind: Annotated[str | None, typer.Option("--kind", help="Solo documenti di questo tipo.")
                    ] = None,
    city: Annotated[str | None, typer.Option("--city", help="Solo documenti di questa città.")
                    ] = None,
    year: Annotated[int | None, typer.Option("--year", help="Solo documenti di quest'anno.")
                    ] = None,
    theme: Annotated[str | None, typer.Option("--theme", help="Solo passi di questo tema.")
                     ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Risposta in JSON.")] = False,
    data_dir: DataDirOpt = None,
) -> None:
    """Risponde citando atto, articolo, comma e pagina (o dichiara che le fonti tacciono)."""
    from bot.app.service import Raccordo

    settings = settings_for(ctx, data_dir)
    with edge():
        text = validate_question(question, settings.max_question_chars)
        service = Raccordo(settings)
        try:
            answer = service.ask(text, filters=Filters(kind=kind, city=city, year=year,
                                                       theme=theme))
        finally:
            service.close()
    if as_json:
        print_json(answer.to_json())
    else:
        typer.echo(readable(answer))


def validate_question(question: str, max_chars: int) -> str:
    """The question stripped; BadRequest when it is empty or too long."""
    text = question.strip()
    if not text:
        raise BadRequest("La domanda è vuota.")
    if len(text) > max_chars:
        raise BadRequest(f"La domanda è troppo lunga (massimo {max_chars} caratteri).")
    return text


def references_text(references: Sequence[dict[str, object]]) -> str:
    """'art. 5; art. 20 d.lgs. 179/2016 (non in archivio: <link>)'."""
    def one(r: dict[str, object]) -> str:
        name = " ".join(str(r.get("name") or r["text"]).split())
        if r.get("chunk_id"):
            return name
        return f"{name} (non in archivio{': ' + str(r['url']) if r.get('url') else ''})"

    return "; ".join(one(r) for r in references)


def readable(answer: Answer) -> str:
    """The answer with its sources and, for each, the file and link."""
    lines = [render_text(answer)]
    details = [f"[{c.n}] {c.file}" + (f" — {c.url}" if c.url else "")
               + (f"\n    cita come: {c.formal}" if c.formal else "")
               + (f"\n    {c.version}" if c.version else "")
               + (f"\n    testo vigente oggi: {c.current_url}" if c.current_url else "")
               + (f"\n    {AMENDED_NOTE[0].lower()}{AMENDED_NOTE[1:]}" if c.amended else "")
               + ("\n    testo da OCR: verificare sull'originale" if c.ocr else "")
               + (f"\n    rinvii: {references_text(c.references)}" if c.references else "")
               for c in answer.citations]
    if details:
        lines.append("\nDocumenti:\n" + "\n".join(details))
    if answer.rewritten_question:
        lines.append(f"\n(domanda intesa come: {answer.rewritten_question})")
    return "\n".join(lines)
