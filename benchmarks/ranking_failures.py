"""Where the shipped ranking puts a wrong passage first, and what its features say of it.

Usage:
    python -m benchmarks.ranking_failures --shared-data DIR_A [--squad-data DIR_B]
        [--list] [--json out.json]

For every answerable question whose first hit (the service's search: hybrid, then the
coverage re-ranker with the weights the service uses) is not relevant, the failure is put
in one of three kinds: no relevant passage in the first 10, a relevant one lower down in
the same document as the first hit, or lower down in another document. For the second and
third kinds, each of the re-ranker's features (`index.coverage.FEATURES`) is compared
between the first relevant hit and the wrong first hit: the table says in how many failures
the relevant hit is ahead on that feature, and in how many it is behind on all of them
(what no re-weighting of these features can fix). `--list` prints each failure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from tqdm import tqdm

from benchmarks.coverage_rerank import question_sets
from benchmarks.report import announce, finish, knowledge_base_arguments, run_header
from bot.app.service import Raccordo
from bot.app.settings import Settings
from index.coverage import FEATURES, CoverageRanker, CoverageSearch
from index.evaluation import Question, is_relevant
from index.hybrid import PINNED_SCORE
from index.models import Hit

SETS = ("dev (tuning)", "domain, untrained half", "squad-it held-out")


@dataclass(frozen=True)
class Failure:
    """One question whose first hit is wrong: its kind and, when the relevant hit is in the
    first 10, which features favour it over the first hit."""

    question: str
    kind: str  # "outside top 10", "same document", "other document"
    rank: int | None
    ahead: tuple[str, ...] = ()


def diagnose(ranker: CoverageRanker, question: Question, hits: Sequence[Hit]) -> Failure | None:
    """The failure of one question's hits, or None when the first hit is relevant."""
    if hits and is_relevant(question, hits[0]):
        return None
    rank = next((i for i, h in enumerate(hits) if is_relevant(question, h)), None)
    if rank is None:
        return Failure(question.id, "outside top 10", None)
    first, gold = hits[0], hits[rank]
    if first.score >= PINNED_SCORE or gold.score >= PINNED_SCORE:
        kind = "pinned reference"
    else:
        kind = "same document" if first.document.id == gold.document.id else "other document"
    rows = ranker.features(question.question, hits[:ranker.depth])  # as the ranker reads them
    ahead = tuple(f for f, a, b in zip(FEATURES, rows[0], rows[rank], strict=True) if b > a)
    return Failure(question.id, kind, rank + 1, ahead)


def summarise(failures: list[Failure], questions: int) -> dict[str, object]:
    """Counts by kind, and by feature how often the relevant hit is ahead."""
    inside = [f for f in failures if f.rank is not None]
    ahead = Counter(name for f in inside for name in f.ahead)
    return {"answerable": questions, "first wrong": len(failures),
            "by kind": dict(Counter(f.kind for f in failures)),
            "relevant ahead on": {name: ahead.get(name, 0) for name in FEATURES},
            "relevant behind on every feature": sum(1 for f in inside if not f.ahead)}


def main() -> None:
    """Diagnose each set's failures and print the summary table."""
    parser = knowledge_base_arguments(__doc__)
    parser.add_argument("--list", action="store_true", help="print every failure")
    args = parser.parse_args()
    services = {"shared": Raccordo(Settings(data_dir=args.shared_data))}
    if args.squad_data:
        services["squad"] = Raccordo(Settings(data_dir=args.squad_data))
    report: dict[str, object] = {**run_header()}
    announce(report)
    for name, (base, questions) in question_sets(args.shared).items():
        if name not in SETS or base not in services:
            continue
        service = services[base]
        search = service.passages  # what answers read: hybrid, then coverage re-ranking
        ranker = (search.ranker if isinstance(search, CoverageSearch)
                  else CoverageRanker(service.searcher.term_weight))
        answerable = [q for q in questions if q.answerable]
        failures = [f for q in tqdm(answerable, desc=name, leave=False)
                    if (f := diagnose(ranker, q, search.search(q.question, k=10)))]
        summary = summarise(failures, len(answerable))
        report[name] = {**summary, "failures": [f.__dict__ for f in failures]}
        print(f"\n{name}: {summary['first wrong']} of {len(answerable)} answerable questions "
              f"have a wrong first hit: {summary['by kind']}")
        print(f"  relevant hit ahead of the wrong first hit, by feature: "
              f"{summary['relevant ahead on']}; behind on every feature: "
              f"{summary['relevant behind on every feature']}")
        for f in failures if args.list else ():
            print(f"  {f.question:28s} {f.kind:18s} rank {f.rank}  ahead on {list(f.ahead)}")
    finish(report, args.json, services.values())


if __name__ == "__main__":
    main()
