"""Hybrid search with and without the cross-encoder re-ranker, in one run.

Usage:
    python -m benchmarks.ranker_eval --shared-data DIR_A --squad-data DIR_B [--pool 20]

DIR_A holds the ingested shared corpus (`raccordo --data-dir DIR_A ingest ../shared/corpus`),
DIR_B the SQuAD-it articles (`raccordo --data-dir DIR_B ingest
../shared/external/squad-it/docs`). For every question the hybrid search returns `--pool`
hits; "hybrid" scores its first 10, "re-ranked" scores the model's order of all `--pool`.
Sets: dev.jsonl, the reporting half of domain.jsonl (questions the model was not trained on,
see training.data.is_training_id), both together, SQuAD-it's 118 held-out questions and all
400. Then the re-rank latency (p50/p95) for 10 and 20 hits.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.report import SHARED, finish, print_rows, ranker_from, run_header
from bot.app.service import Raccordo
from bot.app.settings import Settings
from index.benchmark import percentiles
from index.evaluation import Question, QuestionResult, first_relevant_rank, load_questions
from index.evaluation import metrics as score_results
from index.models import Hit
from index.ranking import (
    MODEL_DIR,
    CrossEncoderRanker,
    blend_with_search,
)
from training.data import is_training_id

Results = dict[str, dict[str, QuestionResult]]  # method -> question id -> result
METHODS = ("hybrid", "re-ranked", "rrf(hybrid, model)")


def question_sets(shared: Path) -> dict[str, tuple[str, list[Question]]]:
    """Knowledge base -> the questions to run on it (each once)."""
    dev = load_questions(shared / "eval" / "dev.jsonl")
    domain = [q for q in load_questions(shared / "eval" / "domain.jsonl")
              if not is_training_id(q.id)]
    squad = load_questions(shared / "external" / "squad-it" / "questions.jsonl")
    return {"shared": ("shared", dev + domain), "squad": ("squad", squad)}


def reported_sets(shared: Path) -> dict[str, tuple[str, set[str]]]:
    """Reported set -> (knowledge base, question ids)."""
    def ids(path: Path) -> set[str]:  # domain.jsonl: only the questions never trained on
        return {q.id for q in load_questions(path)
                if path.name != "domain.jsonl" or not is_training_id(q.id)}

    squad = shared / "external" / "squad-it"
    dev, domain = ids(shared / "eval" / "dev.jsonl"), ids(shared / "eval" / "domain.jsonl")
    return {"dev": ("shared", dev), "domain-untrained": ("shared", domain),
            "dev+domain-untrained": ("shared", dev | domain),
            "squad-it heldout": ("squad", ids(squad / "questions_heldout.jsonl")),
            "squad-it all 400": ("squad", ids(squad / "questions.jsonl"))}


def run_questions(service: Raccordo, ranker: CrossEncoderRanker, questions: Sequence[Question],
                  pool: int) -> tuple[Results, list[tuple[str, list[Hit]]]]:
    """Per question: hybrid top 10, the re-ranked pool and their RRF; plus the pools."""
    results: Results = {m: {} for m in METHODS}
    pools = []
    for q in questions:
        if not q.answerable:
            continue
        hits = service.search(q.question, pool)
        pools.append((q.question, hits))
        every = ranker.run(q.question, hits, len(hits))
        for method, top in zip(METHODS, (hits[:10], every[:10],
                                         blend_with_search(hits, every, 10)), strict=True):
            results[method][q.id] = QuestionResult(q, tuple(top), first_relevant_rank(q, top))
    return results, pools


def latency(ranker: CrossEncoderRanker, pools: Sequence[tuple[str, list[Hit]]], k: int
            ) -> dict[str, float]:
    """Milliseconds to re-rank the first `k` hits of each pool."""
    samples = []
    for query, hits in pools:
        start = time.perf_counter()
        ranker.run(query, hits[:k], k)
        samples.append((time.perf_counter() - start) * 1000)
    return percentiles(samples)


def main() -> None:
    """Print (and optionally write as JSON) the comparison table and latencies."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared-data", type=Path, default=None)
    parser.add_argument("--squad-data", type=Path, default=None)
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--model-dir", type=Path, default=MODEL_DIR)
    parser.add_argument("--pool", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--latency-questions", type=int, default=60)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    ranker = ranker_from(args.model_dir, args.threads)
    dirs = {"shared": args.shared_data, "squad": args.squad_data}
    bases = {b: Raccordo(Settings(data_dir=d)) for b, d in dirs.items() if d is not None}
    report: dict[str, object] = {**run_header(), "pool": args.pool}
    print(f"{report['date']}  cpus {report['cpus']}  load {report['load_avg_1m']:.1f} "
          "(machine NOT quiet when load > cpus)")
    print(f"{'set':22s} {'n':>4s}  {'method':18s} {'r@1':>6s} {'r@5':>6s} {'r@10':>6s} "
          f"{'mrr@10':>7s}")
    runs = {base: run_questions(bases[base], ranker, qs, args.pool)
            for base, (_, qs) in question_sets(args.shared).items() if base in bases}
    for name, (base, ids) in reported_sets(args.shared).items():
        if base not in runs:
            continue
        results = runs[base][0]
        report[name] = rows = {m: score_results([r for qid, r in results[m].items() if qid in ids])
                               .to_json() for m in METHODS}
        print_rows(name, rows, (22, 18))
    shared_pools = runs["shared"][1] if "shared" in runs else runs["squad"][1]
    for k in (10, 20):
        lat = latency(ranker, shared_pools[:args.latency_questions], k)
        report[f"latency_top{k}"] = lat
        print(f"re-rank {k} hits ({args.threads} thread): p50 {lat['p50_ms']:.0f} ms, "
              f"p95 {lat['p95_ms']:.0f} ms over {int(lat['n'])} queries")
    finish(report, args.json, bases.values())


if __name__ == "__main__":
    main()
