"""CLI commands of retrieval: `search` and `eval`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.common import DataDirOpt, edge, print_json, service_for
from index.models import Filters, Hit

if TYPE_CHECKING:
    pass

def register(app: typer.Typer) -> None:
    """Add this group's commands to the CLI."""
    app.command("search")(search)
    app.command("eval")(evaluate)


def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="La domanda o le parole da cercare.")],
    k: Annotated[int, typer.Option("-k", help="Quanti passaggi restituire.")] = 10,
    kind: Annotated[str | None, typer.Option("--kind", help="Tipo di documento.")] = None,
    city: Annotated[str | None, typer.Option("--city", help="Città o area.")] = None,
    year: Annotated[int | None, typer.Option("--year", help="Anno del documento.")] = None,
    document: Annotated[int | None, typer.Option("--document", help="Id documento.")] = None,
    theme: Annotated[str | None, typer.Option("--theme", help="Tema.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Output JSON.")] = False,
    data_dir: DataDirOpt = None,
) -> None:
    """Cerca i passaggi più pertinenti per una domanda."""
    filters = Filters(kind=kind, city=city, year=year, document=document, theme=theme)
    with edge():
        service = service_for(ctx, data_dir)
        hits = service.search(query, k=k, filters=filters)
        service.close()
    if as_json:
        print_json({"query": query, "hits": [h.to_json() for h in hits]})
        return
    if not hits:
        typer.echo("Nessun passaggio trovato.")
    for hit in hits:
        _echo_hit(hit)


def _echo_hit(hit: Hit) -> None:
    where = f" — {hit.locator}" if hit.locator else ""
    typer.echo(f"{hit.rank}. [{hit.score:.4f}] {hit.document.file}{where}")
    typer.echo(f"   {hit.document.meta.title}")
    text = " ".join(hit.chunk.text.split())
    typer.echo(f"   {text[:300]}{'…' if len(text) > 300 else ''}\n")


def evaluate(
    ctx: typer.Context,
    questions: Annotated[Path, typer.Argument(help="File JSONL di domande (formato dev.jsonl).",
                                              exists=True, dir_okay=False)],
    k: Annotated[int, typer.Option("-k", help="Passaggi per domanda.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Output JSON.")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Risultati per domanda (JSONL).")
                   ] = None,
    answers: Annotated[bool, typer.Option("--answers", help="Valuta anche le risposte citate.")
                       ] = False,
    data_dir: DataDirOpt = None,
) -> None:
    """Misura recall@1/5/10 e MRR@10 (e con --answers la qualità delle risposte)."""
    from bot.answers.evaluation import answer_questions, evaluate_answers
    from bot.app.review import decided_questions
    from index.evaluation import evaluate as run_eval

    with edge():
        loaded = decided_questions(questions)  # officials' questions still to review: left out
        service = service_for(ctx, data_dir)
        report = run_eval(lambda q, n: service.search(q, k=n), loaded, k=k)
        replies = answer_questions(service.ask, loaded) if answers else []
        service.close()
    payload: dict[str, object] = report.to_json()
    if answers:
        metrics = evaluate_answers(loaded, replies)
        payload["answers"] = {key: v for key, v in metrics.items() if key != "details"}
    if out is not None:
        with out.open("w", encoding="utf-8") as fh:
            for i, r in enumerate(report.results):
                line: dict[str, object] = {"id": r.question.id, "rank": r.rank,
                                           "hits": [h.to_json() for h in r.hits]}
                if answers:
                    line["answer"] = replies[i].to_json()
                fh.write(json.dumps(line, ensure_ascii=False) + "\n")
    if as_json:
        print_json(payload)
        return
    typer.echo(_metrics_table(payload))
    if answers:
        typer.echo(_answers_table(payload["answers"]))


def _answers_table(metrics: object) -> str:
    assert isinstance(metrics, dict)
    names = {"citation_precision": "precisione delle citazioni",
             "first_citation_relevant": "prima citazione pertinente (risposte date)",
             "answer_recall": "risposte con una citazione pertinente",
             "abstention": "astensione sulle domande senza risposta",
             "false_abstention": "astensioni indebite"}
    return "\n".join(f"{label:<42} {metrics[key]:.3f}" for key, label in names.items())


def _metrics_table(payload: dict[str, object]) -> str:
    lines = [f"{'insieme':<12} {'domande':>7} {'R@1':>6} {'R@5':>6} {'R@10':>6} {'MRR@10':>7}"]
    rows: list[tuple[str, object]] = [("tutte", payload["overall"])]
    by_type = payload["by_type"]
    assert isinstance(by_type, dict)
    rows.extend(sorted(by_type.items()))
    for name, m in rows:
        assert isinstance(m, dict)
        lines.append(f"{name:<12} {m['questions']:>7} {m['recall@1']:>6.3f} {m['recall@5']:>6.3f}"
                     f" {m['recall@10']:>6.3f} {m['mrr@10']:>7.3f}")
    lines.append(f"(senza risposta nel corpus, escluse: {payload['unanswerable']})")
    return "\n".join(lines)
