"""The thesaurus of administrative Italian (`index.thesaurus`): retrieval with it and without.

Usage:
    python -m benchmarks.thesaurus --shared-data DIR_A [--squad-data DIR_B] [--json F]

The service's passage search (hybrid, then coverage re-ranking) on the same knowledge base,
with the thesaurus off, for BM25 only, for the coverage re-ranker only, and for both (the
default), in one run. Sets: dev.jsonl, both halves of domain.jsonl, our written questions
and SQuAD-it (held-out articles and all 400). For each: R@1, R@5 and MRR@10 over the
answerable questions, and which questions get a relevant first hit only with it, or only
without it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

from benchmarks.answers_split import question_sets
from benchmarks.report import announce, finish, knowledge_base_arguments, run_header
from bot.app.service import Raccordo
from bot.app.settings import Settings
from index.coverage import CoverageSearch
from index.evaluation import Question, first_relevant_rank
from index.thesaurus import ADMINISTRATIVE, Thesaurus

MODES: dict[str, tuple[bool, bool]] = {"off": (False, False), "BM25 only": (True, False),
                                       "coverage only": (False, True), "both": (True, True)}


def configure(service: Raccordo, bm25: bool, rerank: bool) -> CoverageSearch:
    """The service's passage search with the thesaurus on or off for each side."""
    search = service.passages
    assert isinstance(search, CoverageSearch), "the coverage re-ranker must be on"
    use: dict[bool, Thesaurus | None] = {True: ADMINISTRATIVE, False: None}
    service.searcher.thesaurus = use[bm25]
    search.ranker = dataclasses.replace(search.ranker, thesaurus=use[rerank])
    return search


def ranks(search: CoverageSearch, questions: list[Question]) -> Iterator[tuple[str, int | None]]:
    """Each answerable question's id and the rank of its first relevant hit (None: not in
    the first 10)."""
    for q in questions:
        if q.answerable:
            yield q.id, first_relevant_rank(q, search.search(q.question, k=10))


def scores(found: dict[str, int | None]) -> dict[str, float]:
    """R@1, R@5 and MRR@10 of first relevant ranks (1-based)."""
    n = max(1, len(found))
    return {"R@1": sum(r == 1 for r in found.values()) / n,
            "R@5": sum(r is not None and r <= 5 for r in found.values()) / n,
            "MRR@10": sum(1 / r for r in found.values() if r is not None) / n}


def main() -> None:
    """Print R@1 / R@5 / MRR@10 per set and mode, and the questions that change."""
    args = knowledge_base_arguments(__doc__).parse_args()
    dirs: dict[str, Path | None] = {"shared": args.shared_data, "squad": args.squad_data}
    services = {base: Raccordo(Settings(data_dir=d)) for base, d in dirs.items() if d}
    report: dict[str, object] = run_header()
    announce(report)
    for name, (base, questions) in question_sets(args.shared).items():
        if base not in services or name == "dev + untrained half":
            continue
        found = {mode: dict(ranks(configure(services[base], *sides), questions))
                 for mode, sides in MODES.items()}
        off, on = found["off"], found["both"]
        gained = sorted(q for q in on if on[q] == 1 and off[q] != 1)
        lost = sorted(q for q in on if off[q] == 1 and on[q] != 1)
        report[name] = {"n": len(off), **{m: scores(f) for m, f in found.items()},
                        "first only with it": gained, "first only without it": lost}
        cells = "  ".join(f"{m}: " + "/".join(f"{v:.3f}" for v in scores(f).values())
                          for m, f in found.items())
        print(f"{name} ({len(off)})  {cells}\n    first only with it {gained}, "
              f"only without it {lost}")
    finish(report, args.json, services.values())


if __name__ == "__main__":
    main()
