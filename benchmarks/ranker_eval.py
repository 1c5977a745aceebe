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
import json
import platform
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import psutil

from bot.service import Raccordo
from bot.settings import Settings
from index.benchmark import percentiles
from index.evaluation import Question, QuestionResult, first_relevant_rank, load_questions
from index.evaluation import metrics as score_results
from index.models import Hit
from index.ranking import MODEL_DIR, CrossEncoderRanker, blend_with_search
from training.data import is_training_id

SHARED = Path(__file__).resolve().parents[2] / "shared"


def question_sets(shared: Path) -> dict[str, tuple[str, list[Question]]]:
    """Name -> (knowledge base, questions)."""
    dev = load_questions(shared / "eval" / "dev.jsonl")
    domain = [q for q in load_questions(shared / "eval" / "domain.jsonl")
              if not is_training_id(q.id)]
    squad = shared / "external" / "squad-it"
    return {"dev": ("shared", dev), "domain-untrained": ("shared", domain),
            "dev+domain-untrained": ("shared", dev + domain),
            "squad-it heldout": ("squad", load_questions(squad / "questions_heldout.jsonl")),
            "squad-it all 400": ("squad", load_questions(squad / "questions.jsonl"))}


def compare(service: Raccordo, ranker: CrossEncoderRanker, questions: Sequence[Question],
            pool: int) -> tuple[dict[str, dict[str, object]], list[tuple[str, list[Hit]]]]:
    """Metrics of hybrid top 10, of the re-ranked pool and of their RRF, plus the pools."""
    plain, reranked, blended, pools = [], [], [], []
    for q in questions:
        if not q.answerable:
            continue
        hits = service.search(q.question, pool)
        pools.append((q.question, hits))
        every = ranker.run(q.question, hits, len(hits))
        top, mixed = every[:10], blend_with_search(hits, every, 10)
        plain.append(QuestionResult(q, tuple(hits[:10]), first_relevant_rank(q, hits[:10])))
        reranked.append(QuestionResult(q, tuple(top), first_relevant_rank(q, top)))
        blended.append(QuestionResult(q, tuple(mixed), first_relevant_rank(q, mixed)))
    rows = {"hybrid": score_results(plain).to_json(),
            "re-ranked": score_results(reranked).to_json(),
            "rrf(hybrid, model)": score_results(blended).to_json()}
    return rows, pools


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
    parser.add_argument("--shared-data", type=Path, required=True)
    parser.add_argument("--squad-data", type=Path, required=True)
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--model-dir", type=Path, default=MODEL_DIR)
    parser.add_argument("--pool", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--latency-questions", type=int, default=60)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    ranker = CrossEncoderRanker(args.model_dir, threads=args.threads)
    bases = {"shared": Raccordo(Settings(data_dir=args.shared_data)),
             "squad": Raccordo(Settings(data_dir=args.squad_data))}
    report: dict[str, object] = {
        "date": datetime.now(UTC).isoformat(timespec="minutes"), "machine": platform.node(),
        "cpus": psutil.cpu_count(), "load_avg_1m": psutil.getloadavg()[0], "pool": args.pool}
    print(f"{report['date']}  cpus {report['cpus']}  load {report['load_avg_1m']:.1f} "
          "(machine NOT quiet when load > cpus)")
    print(f"{'set':22s} {'n':>4s}  {'method':18s} {'r@1':>6s} {'r@5':>6s} {'r@10':>6s} "
          f"{'mrr@10':>7s}")
    shared_pools: list[tuple[str, list[Hit]]] = []
    for name, (base, questions) in question_sets(args.shared).items():
        rows, pools = compare(bases[base], ranker, questions, args.pool)
        if name == "dev+domain-untrained":
            shared_pools = pools
        report[name] = rows
        for method, m in rows.items():
            print(f"{name:22s} {m['questions']:>4}  {method:18s} {m['recall@1']:6.3f} "
                  f"{m['recall@5']:6.3f} {m['recall@10']:6.3f} {m['mrr@10']:7.3f}")
    for k in (10, 20):
        lat = latency(ranker, shared_pools[:args.latency_questions], k)
        report[f"latency_top{k}"] = lat
        print(f"re-rank {k} hits ({args.threads} thread): p50 {lat['p50_ms']:.0f} ms, "
              f"p95 {lat['p95_ms']:.0f} ms over {int(lat['n'])} queries")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    for service in bases.values():
        service.close()


if __name__ == "__main__":
    main()
