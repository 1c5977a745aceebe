"""Both backends in one run: retrieval quality (R@5, MRR@10) and search latency (p50/p95).

Usage:
  python -m benchmarks.pg_parity --data-dir DIR --database-url URL [--rounds N]
DIR is an ingested embedded data dir; URL a PostgreSQL database filled from it with
`raccordo migrate --to URL --data-dir DIR` (same chunks, same vectors). Every question of
the eval sets is searched on: embedded (SQLite + FAISS + bm25s), PostgreSQL with BM25 in
SQL (the default), and PostgreSQL with tsvector 'italian' (the measured alternative).
Target (issue 13): R@5 and MRR@10 within 0.02 of embedded; search p95 ≤ 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

from bot.app.service import Raccordo
from bot.app.settings import Settings
from index.evaluation import evaluate, load_questions

REPO = Path(__file__).resolve().parents[1]
EVAL = Path(os.environ.get("RACCORDO_SHARED_DIR", REPO.parent / "shared")) / "eval"


def variants(data_dir: Path, url: str) -> dict[str, Settings]:
    """The three configurations compared (same cache, no LLM)."""
    return {"embedded": Settings(data_dir=data_dir, llm_base_url=None),
            "postgresql-bm25": Settings(data_dir=data_dir, llm_base_url=None,
                                        database_url=url),  # type: ignore[arg-type]
            "postgresql-tsvector": Settings(data_dir=data_dir, llm_base_url=None,
                                            database_url=url,  # type: ignore[arg-type]
                                            pg_lexical="tsvector")}


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def measure(service: Raccordo, sets: dict[str, Path], rounds: int) -> dict[str, object]:
    """Quality per eval set, then latency of k=10 searches over all their questions."""
    out: dict[str, object] = {}
    questions: list[str] = []
    for name, path in sets.items():
        loaded = load_questions(path)
        questions += [q.question for q in loaded]
        report = evaluate(lambda q, n: service.search(q, k=n), loaded, k=10)
        m = report.overall
        out[name] = {"questions": m.questions, "recall@5": round(m.recall[5], 4),
                     "mrr@10": round(m.mrr10, 4)}
    times: list[float] = []
    for _ in range(rounds):
        for q in questions:
            t0 = time.perf_counter()
            service.search(q, k=10)
            times.append((time.perf_counter() - t0) * 1000)
    out["search_ms"] = {"n": len(times), "p50": round(statistics.median(times), 1),
                        "p95": round(percentile(times, 95), 1), "max": round(max(times), 1)}
    return out


def main() -> None:
    """Run every variant and print one JSON object."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--sets", nargs="*", default=["dev", "domain"])
    parser.add_argument("--eval-dir", type=Path, default=EVAL)
    args = parser.parse_args()
    sets = {s: args.eval_dir / f"{s}.jsonl" for s in args.sets}
    result: dict[str, object] = {"machine": f"{platform.processor() or platform.machine()}, "
                                            f"{os.cpu_count()} CPU",
                                 "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    for name, settings in variants(args.data_dir, args.database_url).items():
        service = Raccordo(settings)
        try:
            service.search("prova", k=1)  # loads model, index or snapshot
            result[name] = measure(service, sets, args.rounds)
        finally:
            service.close()
        print(name, json.dumps(result[name]), flush=True)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
