"""Sweep the abstention threshold on a question set and print the answer metrics.

Usage: python -m benchmarks.answers_calibration [QUESTIONS.jsonl] [--data-dir DIR]
Defaults: ../shared/eval/dev.jsonl and RACCORDO_DATA_DIR. Retrieval runs once per question;
each threshold then decides abstention from the same evidence figures.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from bot.answers.answerer import Answerer
from bot.answers.evaluation import evaluate_answers
from bot.answers.models import Answer
from bot.app.service import Raccordo
from bot.app.settings import Settings
from index.evaluation import load_questions

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    """Print evidence per question and metrics for a range of thresholds."""
    parser = argparse.ArgumentParser()
    parser.add_argument("questions", nargs="?", type=Path,
                        default=REPO.parent / "shared" / "eval" / "dev.jsonl")
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    settings = Settings() if args.data_dir is None else Settings(data_dir=args.data_dir)
    service = Raccordo(settings)
    questions = load_questions(args.questions)
    answerer = Answerer(service.searcher, threshold=-1.0)
    answered = [answerer.answer(q.question) for q in questions]
    evidence = [answerer.evidence(q.question, a.hits) for q, a in zip(questions, answered,
                                                                        strict=True)]
    for q, a, e in zip(questions, answered, evidence, strict=True):
        print(f"{q.id} {q.type:10s} passage={e.passage:.3f} sentence={e.sentence:.3f} "
              f"score={e.score:.3f} cited={[c.file[:30] for c in a.citations]}")
    print("threshold  precision  recall  abstention  false_abstention  citations")
    for threshold in [x / 100 for x in range(20, 65, 5)]:
        answers = [_decide(a, e.score, threshold) for a, e in zip(answered, evidence,
                                                                  strict=True)]
        metrics = evaluate_answers(questions, answers)
        print(f"{threshold:9.2f}  {metrics['citation_precision']:9.3f}  "
              f"{metrics['answer_recall']:6.3f}  {metrics['abstention']:10.3f}  "
              f"{metrics['false_abstention']:16.3f}  {metrics['citations']:9d}")
    service.close()


def _decide(answer: Answer, score: float, threshold: float) -> Answer:
    """The answer as it would be at `threshold` (abstaining drops citations)."""
    if score >= threshold:
        return answer
    return replace(answer, abstained=True, citations=())


if __name__ == "__main__":
    main()
