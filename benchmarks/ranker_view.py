"""How much of a passage our ranking model reads, and whether reading all of it helps.

Usage:
    python -m benchmarks.ranker_view --shared-data DIR [--json F]

The cross-encoder (`index.ranking`) reads `max_tokens` (160) per pair: the question, then as
much of the passage (its context header first) as fits. Abstention is decided on its best
logit over the first 5 passages (`bot.answers.abstention.AbstentionModel`). For dev.jsonl and
both halves of domain.jsonl, on the default service's search (law in force only), this
prints: the share of each first-5 passage the model reads, and how many it reads whole;
then, with the passages scored as shipped (the start) and in half-overlapping windows
(`CrossEncoderRanker.score(..., windows=True)`, best window), the committed abstention
model's separation of answerable from `no_answer` questions (AUC, over questions that the
act, city and figure rules do not already decline) and its rates (`no_answer` declined,
false abstention, with every rule of the service). Same questions, same hits, one run.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Sequence

from benchmarks.coverage_rerank import question_sets
from benchmarks.report import announce, finish, knowledge_base_arguments, run_header
from bot.answers.abstention import ABSTENTION_MODEL, EVIDENCE_PASSAGES, Evidence, declines
from bot.app.service import Raccordo
from bot.app.settings import Settings
from index.models import Filters, Hit
from index.ranking import CrossEncoderRanker

SETS = ("dev (tuning)", "domain, trained half (tuning)", "domain, untrained half")


def auc(positive: Sequence[float], negative: Sequence[float]) -> float:
    """Probability that an answerable question scores above an unanswerable one."""
    if not positive or not negative:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in positive for n in negative)
    return wins / (len(positive) * len(negative))


def share(flags: Sequence[bool]) -> float:
    """The share of true flags (nan when there are none to count)."""
    return sum(flags) / len(flags) if flags else float("nan")


def views(service: Raccordo, ranker: CrossEncoderRanker, question: str,
          hits: Sequence[Hit]) -> dict[str, Evidence]:
    """The answerer's evidence as shipped ("start"), and the same with the model's best logit
    over windows of the first passages ("windows")."""
    shipped = service.answerer.evidence(question, hits)  # coverage, rules, model: as shipped
    texts = [h.chunk.indexed_text() for h in hits[:EVIDENCE_PASSAGES]]
    best = max(ranker.score(question, texts, windows=True), default=None)
    return {"start": shipped, "windows": dataclasses.replace(shipped, model=best)}


def measure(service: Raccordo, ranker: CrossEncoderRanker, questions: Sequence) -> dict:
    """Visible shares, and AUC and rates for both views."""
    shares: list[float] = []
    rows: dict[str, list[tuple[Evidence, bool]]] = {"start": [], "windows": []}
    for q in questions:
        hits = service.passages.search(q.question, k=10, filters=Filters(vigente=True))
        shares += [ranker.visible_share(q.question, h.chunk.indexed_text())
                   for h in hits[:EVIDENCE_PASSAGES]]
        for view, found in views(service, ranker, q.question, hits).items():
            rows[view].append((found, q.answerable))
    out: dict[str, object] = {"passages": len(shares),
                              "mean_share_read": statistics.fmean(shares) if shares else 0.0,
                              "read_whole": sum(s >= 1.0 for s in shares)}
    floor = service.similarity_floor()
    for view, pairs in rows.items():
        kept = [(ABSTENTION_MODEL.probability(e), label) for e, label in pairs
                if not (e.missing_act or e.missing_city or e.missing_quantity)]
        decided = [(declines(e, threshold=0.0, dense_floor=floor, model=ABSTENTION_MODEL),
                    label) for e, label in pairs]
        silent = [d for d, label in decided if not label]
        answerable = [d for d, label in decided if label]
        out[view] = {"auc": auc([p for p, y in kept if y], [p for p, y in kept if not y]),
                     "no_answer_declined": share(silent), "false_abstention": share(answerable)}
    return out


def main() -> None:
    """Print the table (and optionally write it as JSON)."""
    args = knowledge_base_arguments(__doc__).parse_args()
    service = Raccordo(Settings(data_dir=args.shared_data))
    ranker = service.ranker
    if not isinstance(ranker, CrossEncoderRanker):
        raise SystemExit(f"modello di riordino non disponibile: {service.ranker_status}")
    report: dict[str, object] = run_header()
    announce(report)
    print(f"{'set':30s} {'read':>5s} {'whole':>9s} | {'view':8s} {'AUC':>5s} "
          f"{'no_answer declined':>18s} {'false abst.':>11s}")
    for name, (_, questions) in question_sets(args.shared).items():
        if name not in SETS:
            continue
        m = measure(service, ranker, questions)
        report[name] = m
        for view in ("start", "windows"):
            v = m[view]
            head = (f"{name:30s} {m['mean_share_read']:>5.2f} "
                    f"{m['read_whole']:>4}/{m['passages']:<4}" if view == "start"
                    else f"{'':30s} {'':>5s} {'':>9s}")
            print(f"{head} | {view:8s} {v['auc']:>5.3f} {v['no_answer_declined']:>18.3f} "
                  f"{v['false_abstention']:>11.3f}")
    finish(report, args.json, [service])


if __name__ == "__main__":
    main()
