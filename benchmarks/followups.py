"""Follow-up questions in a conversation: answered with the right passage, declined, or wrong?

Usage:
    python -m benchmarks.followups --shared-data DIR [--set F] [--json F]

`tests/data/followups.jsonl` holds short conversations on the shared corpus: a whole first
question (`history`), then the elliptic follow-up officials type next ("e chi lo nomina?",
"entro quale data?"), with the passage that answers it in the question sets' format (or none,
when the sources do not answer it). The default service answers each follow-up with the
conversation before it, as the Telegram bot does. Each is counted as right (first citation
relevant), declined (an abstention) or wrong (a first citation that is not relevant, or an
answer where the sources are silent), with the rewritten question. No question set of the
repository holds conversations, so this is the only measure of the follow-up path; the
conversations were written by us, after the rules they measure, so they are not blind.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from benchmarks.report import announce, finish, knowledge_base_arguments, run_header
from bot.answers.evaluation import relevant_citations
from bot.answers.models import Turn
from bot.app.service import Raccordo
from bot.app.settings import Settings
from index.evaluation import load_questions

CONVERSATIONS = Path(__file__).resolve().parents[1] / "tests" / "data" / "followups.jsonl"


def histories(path: Path) -> dict[str, list[Turn]]:
    """The turns before each follow-up, by question id."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]
    return {str(r["id"]): [Turn(question=str(q)) for q in r["history"]] for r in rows}


def main() -> None:
    """Print one line per conversation and the counts (optionally as JSON)."""
    parser = knowledge_base_arguments(__doc__)
    parser.add_argument("--set", type=Path, default=CONVERSATIONS)
    args = parser.parse_args()
    service = Raccordo(Settings(data_dir=args.shared_data))
    report: dict[str, object] = run_header()
    announce(report)
    turns = histories(args.set)
    outcomes: Counter[str] = Counter()
    rows = []
    for q in load_questions(args.set):
        answer = service.ask(q.question, history=turns[q.id])
        relevant = relevant_citations(q, answer)
        outcome = ("declined" if answer.abstained else
                   "right" if relevant and relevant[0] else "wrong")
        outcomes[outcome] += 1
        first = answer.citations[0].locator if answer.citations else "—"
        rows.append({"id": q.id, "outcome": outcome, "rewritten": answer.rewritten_question,
                     "first_citation": first, "answerable": q.answerable})
        print(f"{q.id}  {outcome:8s} {q.question!r} → {answer.rewritten_question!r}\n"
              f"     {first}")
    report.update({"conversations": len(rows), **outcomes, "rows": rows})
    print(f"right {outcomes['right']}, declined {outcomes['declined']}, "
          f"wrong {outcomes['wrong']} of {len(rows)}")
    finish(report, args.json, [service])


if __name__ == "__main__":
    main()
