"""Hybrid search with and without coverage re-ranking (index.coverage), in one run.

Usage:
    python -m benchmarks.coverage_rerank --shared-data DIR_A [--squad-data DIR_B]
        [--vigente] [--grid] [--json out.json]

DIR_A holds the ingested shared corpus, DIR_B the SQuAD-it articles. The hand-tuned weights
were chosen on dev.jsonl and the training half of domain.jsonl
(`training.data.is_training_id`); the default ones are fitted on SQuAD-it's training
questions only. `--vigente` searches law
in force only, as answers do. `--grid` also re-orders the same hybrid hits with the hand-tuned
formula's other passage/sentence coverage weights (`GRID`). The default weights
(`index.coverage.FITTED`) are fitted by `benchmarks/ranking_fit.py`.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.report import finish, knowledge_base_arguments, print_rows, run_header
from bot.app.service import Raccordo
from bot.app.settings import Settings
from index.coverage import CoverageRanker, CoverageSearch, RankingWeights
from index.evaluation import Question, QuestionResult, first_relevant_rank, load_questions
from index.evaluation import metrics as score_results
from index.models import Filters
from training.data import is_training_id


def question_sets(shared: Path) -> dict[str, tuple[str, list[Question]]]:
    """Reported set -> (knowledge base, questions)."""
    domain = load_questions(shared / "eval" / "domain.jsonl")
    squad = shared / "external" / "squad-it"
    return {
        "dev (tuning)": ("shared", load_questions(shared / "eval" / "dev.jsonl")),
        "domain, trained half (tuning)": ("shared", [q for q in domain if is_training_id(q.id)]),
        "domain, untrained half": ("shared", [q for q in domain if not is_training_id(q.id)]),
        "squad-it held-out": ("squad", load_questions(squad / "questions_heldout.jsonl")),
        "squad-it all 400": ("squad", load_questions(squad / "questions.jsonl")),
    }


def evaluate(searcher: object, questions: list[Question], filters: Filters
             ) -> dict[str, object]:
    """R@k and MRR@10 of one searcher over the answerable questions."""
    results = []
    for q in questions:
        if q.answerable:
            hits = searcher.search(q.question, k=10, filters=filters)  # type: ignore[attr-defined]
            results.append(QuestionResult(q, tuple(hits), first_relevant_rank(q, hits)))
    return score_results(results).to_json()


GRID = [(p, s) for p in (0.25, 0.5, 0.75, 1.0) for s in (0.5, 0.75, 1.0, 1.5)]


def grid(hybrid: object, questions: list[Question], filters: Filters) -> dict[str, object]:
    """R@k and MRR@10 of the coverage ranker at each GRID weight pair, on the same hits."""
    hits = {q.id: hybrid.search(q.question, k=10, filters=filters)  # type: ignore[attr-defined]
            for q in questions if q.answerable}
    rows: dict[str, object] = {}
    for passage, sentence in GRID:
        ranker = CoverageRanker(hybrid.term_weight,  # type: ignore[attr-defined]
                                RankingWeights(passage_focus=passage, sentence=sentence))
        results = []
        for q in questions:
            if q.answerable:
                ranked = tuple(ranker.run(q.question, hits[q.id]))
                results.append(QuestionResult(q, ranked, first_relevant_rank(q, ranked)))
        rows[f"p={passage} s={sentence}"] = score_results(results).to_json()
    return rows


def main() -> None:
    """Print (and optionally write) the with/without table."""
    parser = knowledge_base_arguments(__doc__)
    parser.add_argument("--vigente", action="store_true")
    parser.add_argument("--grid", action="store_true")
    args = parser.parse_args()
    bases = {"shared": args.shared_data, "squad": args.squad_data}
    services = {b: Raccordo(Settings(data_dir=d)) for b, d in bases.items() if d is not None}
    filters = Filters(vigente=True) if args.vigente else Filters()
    report: dict[str, object] = {**run_header(), "vigente_only": args.vigente}
    print(f"{report['date']}  cpus {report['cpus']}  load {report['load_avg_1m']:.1f}"
          f"  law in force only: {args.vigente}")
    print(f"{'set':32s} {'n':>4s}  {'search':10s} {'r@1':>6s} {'r@5':>6s} {'r@10':>6s} "
          f"{'mrr@10':>7s}")
    for name, (base, questions) in question_sets(args.shared).items():
        if base not in services:
            continue
        hybrid = services[base].searcher
        rows = {"hybrid": evaluate(hybrid, questions, filters),
                "+coverage": evaluate(CoverageSearch(hybrid), questions, filters)}
        if args.grid:
            rows |= grid(hybrid, questions, filters)
        report[name] = rows
        print_rows(name, rows, (32, 10))
    finish(report, args.json, services.values())


if __name__ == "__main__":
    main()
