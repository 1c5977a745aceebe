"""Our extractive reader (training/reader.py) as a re-ranker and an abstention signal.

Usage:
    python -m benchmarks.reader_eval --checkpoint /tmp/reader/reader.pt \
        --shared-data DIR_A [--squad-data DIR_B] [--json F]

For each question, the service's first 10 hits (the default search, as answers use it); the
reader scores each hit (best answer span minus the no-answer score, over up to 3 windows
of 192 tokens). Orders compared, by R@1 / R@5 / MRR@10 over the answerable questions:
the service's; the reader's over the first 3, 5 or 10 hits; reciprocal-rank fusion of the
two orders over the first 5 or 10; and the reader's best of the first 3 put first only
when it beats the service's first by a margin of 2 or 4 logits. As an abstention signal:
the best reader score among the first 5 hits, answerable against `no_answer` questions
(ROC AUC: 0.5 is chance). Also the R@1 a random order of the first 10 hits would have.
Sets: dev, domain.jsonl's untrained half (the reader trained on the other half and on our
written questions that are neither near a reported question nor on its passages), SQuAD-it's
held-out articles (never trained on).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.coverage_rerank import question_sets
from benchmarks.late_interaction import fused as rrf_with_service
from benchmarks.late_interaction import ranked
from benchmarks.ranker_view import auc
from benchmarks.report import announce, finish, knowledge_base_arguments, run_header
from bot.app.service import Raccordo
from bot.app.settings import Settings
from index.evaluation import Question, is_relevant

if TYPE_CHECKING:
    from training.reader import ReaderScorer

SETS = ("dev (tuning)", "domain, untrained half", "squad-it held-out")
Scored = tuple[list[bool], list[float]]  # relevance of the first 10 hits, reader scores
Order = Callable[[list[float]], list[int]]


def _first(n: int, order: Callable[[Sequence[float]], list[int]]) -> Order:
    """`order` over the first `n` hits' scores, the rest in the service's order."""
    return lambda s: order(s[:n]) + list(range(min(n, len(s)), len(s)))


def by_reader(n: int) -> Order:
    """The first `n` hits in the reader's order, the rest in the service's."""
    return _first(n, ranked)


def fused(n: int) -> Order:
    """Reciprocal-rank fusion of the service's and the reader's order of the first `n`."""
    return _first(n, rrf_with_service)


def margin(m: float) -> Order:
    """The reader's best of the first three first, only when it beats the first by `m`."""
    def order(s: list[float]) -> list[int]:
        if not s:
            return []
        best = max(range(min(3, len(s))), key=lambda i: (s[i], -i))
        if best and s[best] - s[0] > m:
            return [best, *(i for i in range(len(s)) if i != best)]
        return list(range(len(s)))
    return order


ORDERS: dict[str, Order] = {
    "service": lambda s: list(range(len(s))), "reader, first 3": by_reader(3),
    "reader, first 5": by_reader(5), "reader, first 10": by_reader(10),
    "rrf, first 5": fused(5), "rrf, first 10": fused(10), "margin 2": margin(2.0),
    "margin 4": margin(4.0)}


def score_set(service: Raccordo, reader: ReaderScorer, questions: Sequence[Question]
              ) -> list[tuple[bool, Scored]]:
    """(answerable, (relevance, reader scores)) of each question's first 10 hits."""
    out = []
    for q in questions:
        hits = service.search(q.question, k=10)
        scores = reader.score(q.question, [h.chunk.indexed_text() for h in hits])
        out.append((q.answerable, ([is_relevant(q, h) for h in hits], scores)))
    return out


def recall(rows: Sequence[tuple[bool, Scored]], order: Order) -> dict[str, float]:
    """R@1, R@5 and MRR@10 of `order` over the answerable questions."""
    firsts, fives, rr = [], [], []
    for answerable, (rel, scores) in rows:
        if not answerable:
            continue
        ranked = [rel[i] for i in order(scores)]
        firsts.append(bool(ranked[:1] and ranked[0]))
        fives.append(any(ranked[:5]))
        rr.append(next((1 / (k + 1) for k, r in enumerate(ranked[:10]) if r), 0.0))
    n = max(1, len(firsts))
    return {"questions": len(firsts), "recall@1": sum(firsts) / n,
            "recall@5": sum(fives) / n, "mrr@10": sum(rr) / n}


def chance(rows: Sequence[tuple[bool, Scored]]) -> float:
    """Expected R@1 of a random order of the first 10 hits (relevant share, per question)."""
    shares = [sum(rel) / len(rel) if rel else 0.0 for a, (rel, _) in rows if a]
    return sum(shares) / max(1, len(shares))


def separation(rows: Sequence[tuple[bool, Scored]]) -> float | None:
    """ROC AUC of the best reader score of the first 5 hits, answerable vs `no_answer`."""
    yes = [max(s[:5], default=-1e9) for a, (_, s) in rows if a]
    no = [max(s[:5], default=-1e9) for a, (_, s) in rows if not a]
    return auc(yes, no) if yes and no else None


def main() -> None:
    """Print, per set, each order's R@1 / R@5 / MRR@10 and the abstention AUC."""
    parser: argparse.ArgumentParser = knowledge_base_arguments(__doc__)
    parser.add_argument("--checkpoint", type=Path, required=True)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/reader/cache"))
    args = parser.parse_args()
    import torch

    from training.reader import ReaderScorer

    torch.set_num_threads(2)
    reader = ReaderScorer(args.checkpoint, args.cache)
    dirs = {"shared": args.shared_data, "squad": args.squad_data}
    services = {kb: Raccordo(Settings(data_dir=d)) for kb, d in dirs.items() if d}
    report: dict[str, object] = run_header()
    announce(report)
    for name, (kb, questions) in question_sets(args.shared).items():
        if name not in SETS or kb not in services:
            continue
        rows = score_set(services[kb], reader, questions)
        area = separation(rows)
        orders = {o: recall(rows, f) for o, f in ORDERS.items()}
        report[name] = {"orders": orders, "auc": area, "chance_r1": chance(rows)}
        print(name + ("" if area is None else f"  (abstention AUC {area:.3f})")
              + f"  (R@1 of a random order of the first 10: {chance(rows):.3f})")
        for o, m in orders.items():
            print(f"  {o:18s} {m['questions']:>4}  R@1 {m['recall@1']:.3f}  "
                  f"R@5 {m['recall@5']:.3f}  MRR@10 {m['mrr@10']:.3f}")
    finish(report, args.json, services.values())


if __name__ == "__main__":
    main()
