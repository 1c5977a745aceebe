"""CLI commands: `raccordo ask` (a cited answer, or an abstention) and `raccordo feedback
export` (answers voted 👍 as training questions)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.answers.answerer import render_text
from bot.answers.models import Answer
from bot.cli.common import EXIT_ERROR, DataDirOpt, edge, print_json, service_for, settings_for
from bot.errors import BadRequest
from index.models import Filters


def register(app: typer.Typer) -> None:
    """Add this group's commands to the CLI."""
    app.command("ask")(ask)
    feedback = typer.Typer(help="I voti 👍/👎 dati alle risposte.", no_args_is_help=True)
    feedback.command("export")(export_feedback)
    app.add_typer(feedback, name="feedback")


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


def readable(answer: Answer) -> str:
    """The answer with its sources and, for each, the file and link."""
    lines = [render_text(answer)]
    details = [f"[{c.n}] {c.file}" + (f" — {c.url}" if c.url else "")
               + (f"\n    cita come: {c.formal}" if c.formal else "")
               + ("\n    testo da OCR: verificare sull'originale" if c.ocr else "")
               for c in answer.citations]
    if details:
        lines.append("\nDocumenti:\n" + "\n".join(details))
    if answer.rewritten_question:
        lines.append(f"\n(domanda intesa come: {answer.rewritten_question})")
    return "\n".join(lines)


def export_feedback(
    ctx: typer.Context,
    out: Annotated[Path, typer.Argument(help="File JSONL da scrivere (come i set di domande).")],
    data_dir: DataDirOpt = None,
) -> None:
    """Esporta le risposte approvate (👍) come domande di addestramento."""
    from bot.app.feedback import review_path, training_questions, write_questions

    with edge():
        service = service_for(ctx, data_dir)
        try:
            export = training_questions(service.appdb.voted_answers())
        finally:
            service.close()
    review = review_path(out)
    for path, rows in ((out, export.questions), (review, export.to_review)):
        try:
            write_questions(path, rows)
        except OSError as exc:
            typer.echo(f"Errore: non riesco a scrivere {path}: {exc.strerror or exc}", err=True)
            raise typer.Exit(EXIT_ERROR) from None
    done = len(export.questions)
    typer.echo(("Esportata 1 domanda" if done == 1 else f"Esportate {done} domande")
               + f" con risposta approvata in {out}; "
               + ("1 approvata" if export.uncited == 1 else f"{export.uncited} approvate")
               + " senza citazioni (non esportate).")
    if export.to_review:
        down = len(export.to_review)
        typer.echo(("1 risposta" if down == 1 else f"{down} risposte") + f" con 👎 in {review}: "
                   "indicate il passo giusto in 'relevant' (file, locator, evidence) per "
                   "addestrare anche su quelle.")
    if not export.questions and not service.settings.log_questions:
        typer.echo("Il testo delle domande si registra solo con RACCORDO_LOG_QUESTIONS=true: "
                   "senza, nessun voto diventa una domanda di addestramento.")
    if export.questions:
        typer.echo(f"Per addestrare: python -m training.data --questions {out}")
