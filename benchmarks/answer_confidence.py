"""Does the "uncertain" flag separate the answers to check from the others?

Usage:
    python -m benchmarks.answer_confidence --shared-data DIR_A [--squad-data DIR_B] [--json F]

An answer is flagged uncertain when our model gives the passages it cites less than even odds
of answering (`bot.answers.abstention.uncertain`, the model's own 50%: no figure tuned). For
each question set of `benchmarks.answers_split` and the default service: how many questions
were answered, how many of those answers were flagged, and the share whose first citation is
relevant among the flagged and among the other answers (an answer to a `no_answer` question
counts as not relevant), with the same for "any citation relevant"; and for the flagged
answers, the share whose relevant passage is shown at all: cited, or among the passages
offered beside the answer to check ("Da controllare anche"). Three ways of choosing those
passages are compared on the same answers: the shipped one (one per provision), the next
three uncited hits as they come, and one per locator label of any kind.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from benchmarks.answers_split import question_sets
from benchmarks.report import announce, finish, knowledge_base_arguments, run_header
from bot.answers.answerer import alternatives
from bot.answers.citations import locator_text
from bot.answers.evaluation import relevant_citations
from bot.answers.models import Answer
from bot.app.service import Raccordo
from bot.app.settings import Settings
from index.evaluation import Question, is_relevant
from index.models import Hit


def share(flags: Sequence[bool]) -> float | None:
    """The share of True, or None for no answers."""
    return sum(flags) / len(flags) if flags else None


RULES: dict[str, Callable[[Answer], Sequence[Hit]]] = {
    "shipped": lambda a: a.suggestions,
    "next three": lambda a: alternatives(a, place=lambda h: h.chunk.id),
    "one per label": lambda a: alternatives(a, place=locator_text)}


def shown(question: Question, answer: Answer) -> dict[str, bool]:
    """Per rule: is a relevant passage cited or among the passages offered?"""
    cited = any(relevant_citations(question, answer))
    return {rule: question.answerable and (cited or any(is_relevant(question, h)
                                                        for h in pick(answer)))
            for rule, pick in RULES.items()}


def split(questions: Sequence[Question], answers: Sequence[Answer]) -> dict[str, object]:
    """Answered, flagged, and first/any citation relevant for flagged and unflagged answers;
    for flagged ones also a relevant passage among the citations or the passages offered to
    check beside them ("shown")."""
    rows = [(a.uncertain, relevant_citations(q, a) if q.answerable else [False],
             q.answerable and any(is_relevant(q, h) for h in a.suggestions))
            for q, a in zip(questions, answers, strict=True) if not a.abstained]
    out: dict[str, object] = {"questions": len(questions), "answered": len(rows),
                              "uncertain": sum(u for u, _, _ in rows)}
    for label, flag in (("uncertain", True), ("confident", False)):
        kept = [(rel, offered) for u, rel, offered in rows if u == flag]
        out[f"{label}_first_relevant"] = share([bool(rel and rel[0]) for rel, _ in kept])
        out[f"{label}_any_relevant"] = share([any(rel) for rel, _ in kept])
    out["uncertain_shown"] = share([any(rel) or offered for u, rel, offered in rows if u])
    flagged = [shown(q, a) for q, a in zip(questions, answers, strict=True)
               if a.uncertain and not a.abstained]
    out["shown_by_rule"] = {rule: share([f[rule] for f in flagged]) for rule in RULES}
    return out


def _cell(value: object) -> str:
    return "     —" if value is None else f"{float(value):6.3f}"  # type: ignore[arg-type]


def main() -> None:
    """Print the table (and optionally write it as JSON)."""
    args = knowledge_base_arguments(__doc__).parse_args()
    dirs = {"shared": args.shared_data, "squad": args.squad_data}
    services = {base: Raccordo(Settings(data_dir=d)) for base, d in dirs.items() if d}
    report: dict[str, object] = run_header()
    announce(report)
    print(f"{'set':24s} {'n':>4s} {'answd':>5s} {'uncert':>6s} | first rel.: {'uncert':>6s}"
          f" {'other':>6s} | any rel.: {'uncert':>6s} {'other':>6s} | shown: {'uncert':>6s}")
    for name, (base, questions) in question_sets(args.shared).items():
        if base not in services:
            continue
        m = split(questions, [services[base].ask(q.question) for q in questions])
        report[name] = m
        print(f"{name:24s} {len(questions):>4} {m['answered']:>5} {m['uncertain']:>6} | "
              f"{'':11s} {_cell(m['uncertain_first_relevant'])} "
              f"{_cell(m['confident_first_relevant'])} | {'':9s}"
              f"{_cell(m['uncertain_any_relevant'])} {_cell(m['confident_any_relevant'])} | "
              f"{'':6s} {_cell(m['uncertain_shown'])}")
        rules = m["shown_by_rule"]
        print(f"{'':24s} shown, by rule: " + ", ".join(  # type: ignore[attr-defined]
            f"{rule} {_cell(v).strip()}" for rule, v in rules.items()))
    finish(report, args.json, services.values())


if __name__ == "__main__":
    main()
