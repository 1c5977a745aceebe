"""How much of our model's score to add to the coverage re-ranking, chosen on dev.jsonl only.

Usage:
    python -m benchmarks.model_blend --shared-data DIR_A [--squad-data DIR_B]
        [--model-dir DIR] [--json F]

For each answerable question, the hybrid search's first 10 hits are scored by
`index.coverage.CoverageRanker` (fused score + question coverage) and by our cross-encoder
(`index.ranking`); the blended order is `coverage score + w · sigmoid(model logit)` (hits
pinned by a reference stay first). Each weight `w` of the grid is reported on every set;
the weight is chosen by MRR@10 on dev.jsonl alone, because the model was trained on the
other half of domain.jsonl and on SQuAD-it's training articles, so neither can choose it.
`--model-dir` evaluates a candidate export (its files' own sha256 are trusted).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from benchmarks.coverage_rerank import question_sets
from benchmarks.report import announce, finish, knowledge_base_arguments, ranker_from, run_header
from bot.app.service import Raccordo
from bot.app.settings import Settings
from index.coverage import CoverageRanker
from index.evaluation import Question, is_relevant
from index.ranking import MODEL_DIR, MODEL_FILE, CrossEncoderRanker, probability
from index.searcher import PINNED_SCORE
from ingest.pipeline import sha256_of

GRID = (0.0, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 3.0)
DEPTH = 10


@dataclass(frozen=True)
class Candidate:
    """One of a question's first hits: pinned or not, its two scores, relevant or not."""

    pinned: bool
    coverage: float
    model: float
    relevant: bool


def candidates(service: Raccordo, ranker: CrossEncoderRanker, coverage: CoverageRanker,
               q: Question) -> list[Candidate]:
    """The first hits of the hybrid search with their coverage and model scores."""
    hits = service.searcher.search(q.question, k=DEPTH)
    cov = coverage.scores(q.question, hits)
    logits = ranker.score(q.question, [h.chunk.indexed_text() for h in hits])
    return [Candidate(h.score >= PINNED_SCORE, c, probability(m), is_relevant(q, h))
            for h, c, m in zip(hits, cov, logits, strict=True)]


def ranked_metrics(groups: list[list[Candidate]], w: float) -> dict[str, float]:
    """R@1, R@5 and MRR@10 of the blended order."""
    r1 = r5 = rr = 0.0
    for group in groups:
        def key(i: int, group: list[Candidate] = group) -> tuple[bool, float, int]:
            return (not group[i].pinned, -(group[i].coverage + w * group[i].model), i)

        order = sorted(range(len(group)), key=key)
        rank = next((n for n, i in enumerate(order, start=1) if group[i].relevant), None)
        if rank is not None:
            r1, r5, rr = r1 + (rank == 1), r5 + (rank <= 5), rr + 1.0 / rank
    n = max(1, len(groups))
    return {"recall@1": r1 / n, "recall@5": r5 / n, "mrr@10": rr / n}


def main() -> None:
    """Print the grid per set, and the weight dev.jsonl chooses."""
    parser = knowledge_base_arguments(__doc__)
    parser.add_argument("--model-dir", type=Path, default=MODEL_DIR)
    args = parser.parse_args()
    ranker = ranker_from(args.model_dir)
    bases = {"shared": args.shared_data, "squad": args.squad_data}
    services = {b: Raccordo(Settings(data_dir=d)) for b, d in bases.items() if d is not None}
    report: dict[str, object] = {
        **run_header(), "model_sha256": sha256_of((args.model_dir / MODEL_FILE).read_bytes())}
    announce(report)
    table: dict[str, dict[float, dict[str, float]]] = {}
    for name, (base, questions) in question_sets(args.shared).items():
        if base not in services:
            continue
        service = services[base]
        coverage = CoverageRanker(weight=service.searcher.term_weight)
        groups = [candidates(service, ranker, coverage, q) for q in questions if q.answerable]
        table[name] = {w: ranked_metrics(groups, w) for w in GRID}
        for w, m in table[name].items():
            print(f"{name:32s} {len(groups):>4}  w={w:<5} R@1 {m['recall@1']:.3f} "
                  f"R@5 {m['recall@5']:.3f} MRR@10 {m['mrr@10']:.3f}", flush=True)
    dev = next(name for name in table if name.startswith("dev"))
    chosen = max(GRID, key=lambda w: (table[dev][w]["mrr@10"], -w))
    print(f"chosen on dev.jsonl: w = {chosen}")
    report["chosen_weight"] = chosen
    report["sets"] = {name: {str(w): m for w, m in rows.items()} for name, rows in table.items()}
    finish(report, args.json, services.values())


if __name__ == "__main__":
    main()
