"""Answer quality on two knowledge bases, and abstention on each other's questions.

Usage:
    python -m benchmarks.answers_crosscheck --shared-data DIR_A --squad-data DIR_B

DIR_A holds the ingested shared corpus (`raccordo --data-dir DIR_A ingest ../shared/corpus`),
DIR_B the SQuAD-it articles (`raccordo --data-dir DIR_B ingest
../shared/external/squad-it/docs`). The script prints the answer metrics of dev.jsonl on
DIR_A and of the 400 SQuAD-it questions on DIR_B (a second, larger set nobody here wrote,
so selection settings are not judged on 25 questions only), then how often each set's
questions are declined by the other knowledge base, where none of them has an answer.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bot.answers.evaluation import evaluate_answers
from bot.app.service import Raccordo
from bot.app.settings import Settings
from index.evaluation import Question, load_questions

SHARED = Path(__file__).resolve().parents[2] / "shared"


def main() -> None:
    """Print the four runs."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared-data", type=Path, required=True)
    parser.add_argument("--squad-data", type=Path, required=True)
    parser.add_argument("--dev", type=Path, default=SHARED / "eval" / "dev.jsonl")
    parser.add_argument("--squad", type=Path,
                        default=SHARED / "external" / "squad-it" / "questions.jsonl")
    args = parser.parse_args()
    bases = {"shared": Raccordo(Settings(data_dir=args.shared_data)),
             "squad-it": Raccordo(Settings(data_dir=args.squad_data))}
    sets = {"dev": load_questions(args.dev), "squad-it": load_questions(args.squad)}
    print("questions  knowledge base  n    precision  recall  abstention  false_abst  ms/q")
    for qname, base in (("dev", "shared"), ("squad-it", "squad-it")):
        _quality(qname, base, sets[qname], bases[base])
    print("\noff-topic questions declined (no question of one set is answered by the other base)")
    for qname, base in (("squad-it", "shared"), ("dev", "squad-it")):
        service = bases[base]
        declined = sum(service.ask(q.question).abstained for q in sets[qname])
        print(f"{qname:9s}  {base:14s} {declined}/{len(sets[qname])} "
              f"({declined / len(sets[qname]):.3f})")
    for service in bases.values():
        service.close()


def _quality(name: str, base: str, questions: list[Question], service: Raccordo) -> None:
    start = time.perf_counter()
    answers = [service.ask(q.question) for q in questions]
    took = (time.perf_counter() - start) * 1000 / max(1, len(questions))
    m = evaluate_answers(questions, answers)
    print(f"{name:9s}  {base:14s} {len(questions):4d} {m['citation_precision']:9.3f}  "
          f"{m['answer_recall']:6.3f}  {m['abstention']:10.3f}  {m['false_abstention']:10.3f}"
          f"  {took:4.0f}")


if __name__ == "__main__":
    main()
