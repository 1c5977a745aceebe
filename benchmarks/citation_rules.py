"""Which passages an answer cites: answer metrics for each rule, in one run.

Usage:
    python -m benchmarks.citation_rules --shared-data DIR_A [--squad-data DIR_B] [--json F]

Variants (our model's abstention on in all):
- `any`: a further passage scoring close to the best quote is cited (the first build);
- `self-supported`: ... only when our model would answer from it alone;
- `+ distinct terms`: ... and only when its quote holds a question term no chosen quote holds;
- `first from top` (the default): self-supported, and the first quote is the best sentence
  of the first passage rather than the best-scoring sentence of any passage;
- `first by model`: first from top, then the cited passages ordered by our model's logit
  (the passage it scores highest is cited first).
Sets: dev.jsonl, both halves of domain.jsonl (`training.data.is_training_id`), our written
questions (`training/officials_questions.jsonl`, never seen by a committed model) and dev +
the untrained half; with `--squad-data`, SQuAD-it's held-out articles and all 400 questions
(`SQUAD_VARIANTS` only). The rules have no constants of their own (self-supported
reuses the abstention model's cut-off); it was adopted after a first measurement on dev and
the untrained half, so that half is not blind for it. Columns: citation precision, first
citation relevant, answers with a relevant citation, citations per answered question,
`no_answer` declined, false abstention.
"""

from __future__ import annotations

import copy
from dataclasses import replace

from benchmarks.answers_split import question_sets
from benchmarks.report import announce, finish, knowledge_base_arguments, run_header
from bot.answers.answerer import Answerer
from bot.answers.evaluation import evaluate_answers
from bot.answers.extractive import Selection
from bot.answers.models import Answer
from bot.app.service import Raccordo
from bot.app.settings import Settings
from index.evaluation import Question

VARIANTS = {"any": Selection(self_supported=False, first_from_top=False),
            "self-supported": Selection(first_from_top=False),
            "+ distinct terms": Selection(first_from_top=False, distinct_facts=True),
            "first from top": Selection(),  # self-supported too: the default
            "first by model": Selection(first_by_model=True)}
COLUMNS = ("citation_precision", "first_citation_relevant", "answer_recall",
           "citations_per_answer", "abstention", "false_abstention")
SETS = ("dev", "domain trained half", "domain untrained half", "written (ours)")
SQUAD_SETS = ("squad-it held-out", "squad-it all 400")  # with --squad-data
SQUAD_VARIANTS = ("any", "first from top", "first by model")


def main() -> None:
    """Print the table (and optionally write it as JSON)."""
    args = knowledge_base_arguments(__doc__).parse_args()
    services = {"shared": Raccordo(Settings(data_dir=args.shared_data))}
    if args.squad_data is not None:
        services["squad"] = Raccordo(Settings(data_dir=args.squad_data))
    sets = question_sets(args.shared)
    chosen = {name: ("shared", sets[name][1]) for name in SETS}
    chosen["dev + untrained"] = ("shared", [*sets["dev"][1], *sets["domain untrained half"][1]])
    chosen |= {name: sets[name] for name in SQUAD_SETS if "squad" in services}
    report: dict[str, object] = run_header()
    announce(report)
    print(f"{'set':24s} {'n':>4s} {'rule':17s} {'prec':>6s} {'first':>6s} {'recall':>6s} "
          f"{'cites':>6s} {'declin':>6s} {'false':>6s}")
    for variant, selection in VARIANTS.items():
        for name, (base, questions) in chosen.items():
            if base == "squad" and variant not in SQUAD_VARIANTS:
                continue
            answerer = replace_selection(services[base].answerer, selection)
            m = metrics_of(questions, [answerer.answer(q.question) for q in questions])
            report[f"{name} / {variant}"] = m
            cells = " ".join(f"{float(m[c]):6.3f}" for c in COLUMNS)  # type: ignore[arg-type]
            print(f"{name:24s} {len(questions):>4} {variant:17s} {cells}", flush=True)
    finish(report, args.json, services.values())


def metrics_of(questions: list[Question], answers: list[Answer]) -> dict[str, object]:
    """Answer metrics plus citations per answered question."""
    m = evaluate_answers(questions, answers)
    answered = [a for a in answers if not a.abstained]
    m["citations_per_answer"] = sum(len(a.citations) for a in answered) / max(1, len(answered))
    m.pop("details")
    return m


def replace_selection(answerer: Answerer, selection: Selection) -> Answerer:
    """The service's answerer with another sentence selection."""
    other = copy.copy(answerer)
    other.selection = replace(selection)
    return other


if __name__ == "__main__":
    main()
