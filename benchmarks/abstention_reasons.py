"""Why answers abstain: the reason of each abstention, answerable and `no_answer` apart.

Usage: python -m benchmarks.abstention_reasons QUESTIONS.jsonl [--data-dir DIR]
Prints, per kind of reason (act absent, city absent, similarity floor, evidence threshold),
how many answerable questions were declined and how many `no_answer` ones.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from bot.app.service import Raccordo
from bot.app.settings import Settings
from index.evaluation import load_questions


def main() -> None:
    """Print the reasons of abstentions on a question set."""
    parser = argparse.ArgumentParser()
    parser.add_argument("questions", type=Path)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    settings = Settings() if args.data_dir is None else Settings(data_dir=args.data_dir)
    service = Raccordo(settings)
    reasons: dict[bool, Counter[str]] = {True: Counter(), False: Counter()}
    totals = Counter(q.answerable for q in load_questions(args.questions))
    for q in load_questions(args.questions):
        answer = service.ask(q.question)
        if answer.abstained:
            why = answer.notes[0] if answer.notes else "?"
            reasons[q.answerable][why.split(" ")[0]] += 1
    for answerable, label in ((True, "answerable declined"), (False, "no_answer declined")):
        print(f"{label}: {sum(reasons[answerable].values())} of {totals[answerable]}",
              dict(reasons[answerable]))
    service.close()


if __name__ == "__main__":
    main()
