"""Latency of `ask` with the model warm: p50/p95/max over the dev questions.

Usage: python -m benchmarks.ask_latency [--data-dir DIR] [--rounds N]
Target (issue 4): p95 ≤ 1 s per question, extractive mode, after one warm-up question.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from bot.app.service import Raccordo
from bot.app.settings import Settings
from index.evaluation import load_questions

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    """Time every question `rounds` times and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--questions", type=Path,
                        default=REPO.parent / "shared" / "eval" / "dev.jsonl")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    settings = Settings() if args.data_dir is None else Settings(data_dir=args.data_dir)
    service = Raccordo(settings.model_copy(update={"llm_base_url": None}))
    questions = [q.question for q in load_questions(args.questions)]
    started = time.perf_counter()
    service.ask(questions[0])  # loads the model and the index
    print(f"warm-up (model + index load): {time.perf_counter() - started:.2f} s")
    asks: list[float] = []
    searches: list[float] = []
    for _ in range(args.rounds):
        for question in questions:
            t0 = time.perf_counter()
            service.search(question, k=10)
            t1 = time.perf_counter()
            service.ask(question)
            searches.append(t1 - t0)
            asks.append(time.perf_counter() - t1)
    _report("ask", asks)
    _report("search alone", searches)
    _report("composition (ask - search)", [max(0.0, a - s) for a, s in zip(asks, searches,
                                                                          strict=True)])
    service.close()


def _report(name: str, timings: list[float]) -> None:
    """Print p50, p95 and max of `timings` in milliseconds."""
    ordered = sorted(timings)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)]
    print(f"{name}: n={len(ordered)} p50={statistics.median(ordered) * 1000:.0f} ms "
          f"p95={p95 * 1000:.0f} ms max={ordered[-1] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
