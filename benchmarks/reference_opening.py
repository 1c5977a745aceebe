"""Does an article cited without a comma need its opening chunk favoured? Measure it.

Usage: python -m benchmarks.reference_opening DATA_DIR QUESTIONS.jsonl [QUESTIONS.jsonl ...]
For each setting of `index.references.FIRST_CHUNK_BONUS` (none, the old 0.015 cosine nudge,
"opening always first") prints recall@1/5 and MRR@10 overall and on legal_ref questions,
over the service's own search of DATA_DIR (its embedder and weights, then coverage
re-ranking, as `raccordo search` does).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import index.references as references
from bot.app.service import Raccordo
from bot.app.settings import Settings
from index.evaluation import evaluate, load_questions

SETTINGS = {"no bonus": 0.0, "0.015 (old)": 0.015, "opening first": 10.0}


def main() -> None:
    """Print one table row per (question file, setting)."""
    service = Raccordo(Settings(data_dir=Path(sys.argv[1])))
    searcher = service.passages
    print(f"{'set':<14}{'setting':<16}{'R@1':>7}{'R@5':>7}{'MRR@10':>8}"
          f"{'legal R@1':>11}{'legal MRR':>11}")
    for path in sys.argv[2:]:
        questions = load_questions(Path(path))
        for name, bonus in SETTINGS.items():
            references.FIRST_CHUNK_BONUS = bonus
            report = evaluate(lambda q, k: searcher.search(q, k=k), questions, k=10)
            m, legal = report.overall, report.by_type.get("legal_ref")
            extra = (f"{legal.recall[1]:>11.3f}{legal.mrr10:>11.3f}" if legal else "")
            print(f"{Path(path).stem:<14}{name:<16}{m.recall[1]:>7.3f}{m.recall[5]:>7.3f}"
                  f"{m.mrr10:>8.3f}{extra}")
    service.close()


if __name__ == "__main__":
    main()
