"""Fit the coverage re-ranker's weights (index.coverage.FITTED) and measure them, one run.

Usage:
    python -m benchmarks.ranking_fit --shared-data DIR_A --squad-data DIR_B [--l2 0.01]
        [--vigente] [--json out.json]

DIR_A holds the ingested shared corpus, DIR_B the 48 SQuAD-it articles, both indexed with
the embedder the weights are for. The fit uses SQuAD-it's training questions only
(`train.jsonl`, 36 articles; the evidence of each is the paragraph sentence holding its
answer): their first 10 hybrid hits, as `search` gets them, scored by `index.coverage`'s
features, and `training.linear_ranker.fit_weights` over them. None of the reported sets is
fitted on: dev.jsonl and domain.jsonl's trained half (the hand-tuned weights' tuning sets,
marked "hand-tuning"), its untrained half, our written questions
(training/officials_questions.jsonl) and SQuAD-it's 400 questions (118 on held-out articles).
Each is measured on the same hits five ways: hybrid alone, the hand-tuned weights, the
weights fitted in this run and the shipped ones (`index.coverage.FITTED`, this fit rounded),
all four in score order (the default); then the shipped weights with the passages that state
the figure a question asks for first (`figures_first`, off by default, `index.quantities`).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence

from tqdm import tqdm

from benchmarks.coverage_rerank import question_sets
from benchmarks.report import announce, finish, knowledge_base_arguments, print_rows, run_header
from bot.app.service import Raccordo
from bot.app.settings import Settings
from index.coverage import FEATURES, FITTED, HAND_TUNED, CoverageRanker, RankingWeights
from index.evaluation import (
    Question,
    QuestionResult,
    first_relevant_rank,
    load_questions,
)
from index.evaluation import metrics as score_results
from index.models import Filters, Hit
from training.data import WRITTEN
from training.linear_ranker import candidates, fit_weights, squad_training_questions


def measure(ranker: CoverageRanker | None, hits: dict[str, list[Hit]],
            questions: Sequence[Question]) -> dict[str, object]:
    """R@k and MRR@10 of the same hits, re-ordered by `ranker` (None: hybrid order)."""
    results = []
    for q in questions:
        ranked = hits[q.id] if ranker is None else ranker.run(q.question, hits[q.id])
        results.append(QuestionResult(q, tuple(ranked), first_relevant_rank(q, ranked)))
    return score_results(results).to_json()


def search_all(search: Callable[..., list[Hit]], questions: Sequence[Question],
               filters: Filters, label: str) -> dict[str, list[Hit]]:
    """The first 10 hybrid hits of every answerable question."""
    return {q.id: search(q.question, k=10, filters=filters)
            for q in tqdm(questions, desc=label, leave=False) if q.answerable}


def main() -> None:
    """Fit, print the weights, then the three-way table of every reported set."""
    parser = knowledge_base_arguments(__doc__, squad_required=True)
    parser.add_argument("--l2", type=float, default=0.01)
    parser.add_argument("--vigente", action="store_true")
    args = parser.parse_args()
    services = {"shared": Raccordo(Settings(data_dir=args.shared_data)),
                "squad": Raccordo(Settings(data_dir=args.squad_data))}
    filters = Filters(vigente=True) if args.vigente else Filters()
    report: dict[str, object] = {**run_header(), "l2": args.l2, "vigente_only": args.vigente}
    train = squad_training_questions(args.shared / "external" / "squad-it")
    squad = services["squad"].searcher
    plain = CoverageRanker(weight=squad.term_weight)
    train_hits = search_all(squad.search, train, filters, "SQuAD-it train")
    lists = [candidates(plain, q, train_hits[q.id]) for q in train]
    fitted = RankingWeights.of(fit_weights(lists, args.l2))
    report["fitted"] = {k: round(v, 4) for k, v in zip(FEATURES, fitted.vector(), strict=True)}
    report["fit_questions"] = {"all": len(lists), "informative": sum(c.informative
                                                                     for c in lists)}
    announce(report)
    print("fitted:", json.dumps(report["fitted"]), json.dumps(report["fit_questions"]))
    sets = {"squad-it train (fit)": ("squad", train),
            **{name.replace("(tuning)", "(hand-tuning)"): value
               for name, value in question_sets(args.shared).items()},
            "written (ours)": ("shared", load_questions(WRITTEN))}
    for name, (base, questions) in sets.items():
        searcher = services[base].searcher
        hits = train_hits if base == "squad" and questions is train else search_all(
            searcher.search, questions, filters, name)
        answerable = [q for q in questions if q.answerable]
        ranker = functools.partial(CoverageRanker, searcher.term_weight)
        rows = {"hybrid": measure(None, hits, answerable),
                "hand-tuned": measure(ranker(HAND_TUNED), hits, answerable),
                "fitted now": measure(ranker(fitted), hits, answerable),
                "shipped": measure(ranker(FITTED), hits, answerable),
                "shipped, figures first": measure(ranker(FITTED, figures_first=True), hits,
                                                  answerable)}
        report[name] = rows
        print_rows(name, rows, (36, 24))
    finish(report, args.json, services.values())


if __name__ == "__main__":
    main()
