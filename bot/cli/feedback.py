"""CLI commands: `raccordo feedback export` (answers voted 👍 as training questions, those voted
👎 to review) and `raccordo feedback review` (a coordinator names their right passage)."""

from __future__ import annotations

import textwrap
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import click
import typer

from bot.app.feedback import review_path, training_questions, write_questions
from bot.app.review import (
    is_pending,
    merged,
    read_entries,
    tally,
    with_decisions,
    with_passage,
    without_answer,
)
from bot.app.reviewqueue import review_queue
from bot.cli.common import EXIT_ERROR, DataDirOpt, edge, service_for

if TYPE_CHECKING:
    from bot.app.review import Candidate, Entry
    from bot.app.service import Raccordo

QUOTE_CHARS = 320  # how much of each candidate's sentence is shown
PROMPT = ("Passo giusto (numero), 0 = le fonti non rispondono, Invio = salta, "
          "?parole = cerca con altre parole, q = esci")


def register(app: typer.Typer) -> None:
    """Add the `feedback` group to the CLI."""
    feedback = typer.Typer(help="I voti 👍/👎 dati alle risposte.", no_args_is_help=True)
    feedback.command("export")(export_feedback)
    feedback.command("review")(review_feedback)
    app.add_typer(feedback, name="feedback")


def _write(path: Path, rows: Sequence[dict[str, object]]) -> None:
    try:
        write_questions(path, rows)
    except OSError as exc:
        typer.echo(f"Errore: non riesco a scrivere {path}: {exc.strerror or exc}", err=True)
        raise typer.Exit(EXIT_ERROR) from None


def _count(n: int, one: str, many: str) -> str:
    return one if n == 1 else f"{n} {many}"


def export_feedback(
    ctx: typer.Context,
    out: Annotated[Path, typer.Argument(help="File JSONL da scrivere (come i set di domande).")],
    data_dir: DataDirOpt = None,
) -> None:
    """Esporta le risposte approvate (👍) come domande di addestramento."""
    review = review_path(out)
    with edge():
        previous = read_entries(review) if review.exists() else []
        service = service_for(ctx, data_dir)
        try:
            export = training_questions(service.appdb.voted_answers())
            decisions = service.appdb.reviews()  # taken on the review page (/revisione)
        finally:
            service.close()
    to_review = merged(previous, with_decisions(export.to_review, decisions))
    _write(out, export.questions)
    _write(review, to_review)
    done = len(export.questions)
    typer.echo(("Esportata 1 domanda" if done == 1 else f"Esportate {done} domande")
               + f" con risposta approvata in {out}; "
               + _count(export.uncited, "1 approvata", "approvate")
               + " senza citazioni (non esportate).")
    waiting = tally(to_review)["pending"]
    if to_review:
        typer.echo(_count(len(to_review), "1 risposta", "risposte") + f" con 👎 in {review}, "
                   f"{waiting} da rivedere: indicate il passo giusto nella pagina /revisione "
                   f"(chiave admin) o con 'raccordo feedback review {review}' per addestrare "
                   "anche su quelle.")
    if not export.questions and not service.settings.log_questions:
        typer.echo("Il testo delle domande si registra solo con RACCORDO_LOG_QUESTIONS=true: "
                   "senza, nessun voto diventa una domanda di addestramento.")
    if export.questions:
        typer.echo(f"Per addestrare: python -m training.data --questions {out}")


def review_feedback(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Il file .da-rivedere.jsonl dell'export.")],
    passages: Annotated[int, typer.Option("--passi", min=1, max=10,
                                          help="Quanti passi proporre per domanda.")] = 5,
    data_dir: DataDirOpt = None,
) -> None:
    """Indica il passo giusto delle risposte con 👎, una domanda alla volta (salva a ogni
    scelta)."""
    with edge():
        entries = read_entries(file)
    todo = [i for i, e in enumerate(entries) if is_pending(e)]
    if todo:
        with edge():
            service = service_for(ctx, data_dir)
            try:
                _review_all(service, file, entries, todo, passages)
            finally:
                service.close()
    counts = tally(entries)
    typer.echo(f"{file}: " + _count(counts["passage"], "1 domanda", "domande")
               + f" con il passo giusto, {counts['no_answer']} senza risposta nelle fonti, "
               f"{counts['pending']} da rivedere.")
    if counts["passage"] or counts["no_answer"]:
        typer.echo(f"Per addestrare: python -m training.data --questions {file}")


def _review_all(service: Raccordo, file: Path, entries: list[Entry], todo: list[int],
                passages: int) -> None:
    """Ask about each pending entry in turn, saving the file after every decision."""
    for n, i in enumerate(todo, start=1):
        typer.echo(f"\nDomanda {n} di {len(todo)} ({entries[i]['id']}): "
                   f"{entries[i]['question']}")
        try:
            decided = _decide(service, entries[i], passages)
        except (click.exceptions.Abort, typer.Abort):  # Ctrl-C, Ctrl-D or the input ends
            typer.echo("\nInterrotto: le scelte fatte sono salvate.")
            return
        if isinstance(decided, str):  # "quit"
            return
        if decided is not None:
            entries[i] = decided
            _write(file, entries)


def _decide(service: Raccordo, entry: Entry, passages: int) -> Entry | str | None:
    """The entry as decided, None to skip it, "quit" to stop."""
    for comment in entry.get("comments") or []:
        typer.echo(f"  Commento: {comment}")
    shown = _found(service, entry, str(entry["question"]), passages)
    while True:
        reply = typer.prompt(PROMPT, default="", show_default=False).strip()
        if reply.startswith("?") and reply[1:].strip():
            shown = _found(service, entry, reply[1:].strip(), passages)
        elif reply.lower() in ("q", "esci"):
            return "quit"
        elif not reply:
            return None
        elif reply == "0":
            return without_answer(entry, time.time())
        elif reply.isdigit() and 1 <= int(reply) <= len(shown):
            return with_passage(entry, shown[int(reply) - 1], time.time())
        else:
            typer.echo(f"Risposta non valida: {reply!r}. {PROMPT}.")


def _found(service: Raccordo, entry: Entry, query: str, passages: int) -> list[Candidate]:
    """The first passages an answer to `query` would read (law in force, as answers quote
    it), shown by the sentence it would quote from each."""
    shown = review_queue(service).candidates(entry, query, passages)
    _show(shown)
    return shown


def _show(shown: Sequence[Candidate]) -> None:
    from bot.answers.markup import plain

    if not shown:
        typer.echo("  Nessun passo trovato: cercare con altre parole (?parole) o 0.")
    for c in shown:
        mark = "   ← citato nella risposta con 👎" if c.wrong else ""
        typer.echo(f"  [{c.citation.n}] {c.citation.locator}{mark}")
        quote = textwrap.shorten(" ".join(plain(c.citation.quote).split()), QUOTE_CHARS,
                                 placeholder=" …")
        typer.echo(textwrap.indent(textwrap.fill(f"«{quote}»", 88), "      "))
