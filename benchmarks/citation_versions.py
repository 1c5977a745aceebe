"""Do citations say which version of an act they quote, and what its amendment marks mean?

Usage:
    python -m benchmarks.citation_versions --shared-data DIR [--json F]

Counts, over the knowledge base, the documents that record the date of their text version
(`DocumentMeta.in_force`, by kind), and over the answers of the default service to every
question set on the shared corpus: the citations, those of an act (law, decree, regulation,
statute), those that name the version they quote ("testo vigente al …"), and those whose
quote holds Normattiva's "((…))" marks of amended words (`Citation.amended`). The knowledge
base must have been ingested with chunking version 6 or later (older documents carry no
version date: the column is then 0).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from benchmarks.answers_split import question_sets
from benchmarks.report import announce, finish, knowledge_base_arguments, run_header
from bot.answers.citations import LEGAL_KINDS
from bot.answers.models import Answer
from bot.app.service import Raccordo
from bot.app.settings import Settings


def count(answers: Sequence[Answer]) -> dict[str, int]:
    """Citations, of acts, naming their version, quoting amended words."""
    cited = [c for a in answers for c in a.citations]
    return {"citations": len(cited),
            "of_acts": sum(c.kind in LEGAL_KINDS for c in cited),
            "naming_version": sum(c.in_force is not None for c in cited),
            "amended_quote": sum(c.amended for c in cited)}


def main() -> None:
    """Print the counts (and optionally write them as JSON)."""
    args = knowledge_base_arguments(__doc__).parse_args()
    service = Raccordo(Settings(data_dir=args.shared_data))
    report: dict[str, object] = run_header()
    announce(report)
    docs = [d for d in service.store.documents() if d.status == "indexed"]
    by_kind = Counter((d.meta.kind, d.meta.in_force is not None) for d in docs)
    report["documents"] = {f"{kind} {'with' if dated else 'without'} version": n
                           for (kind, dated), n in sorted(by_kind.items())}
    dates = Counter(d.meta.in_force for d in docs if d.meta.in_force)
    report["versions"] = dict(sorted(dates.items()))
    print(f"documents: {len(docs)}, with a version date: {sum(dates.values())} "
          f"({', '.join(f'{n} of {day}' for day, n in sorted(dates.items()))})")
    for kind in sorted({k for k, _ in by_kind}):
        print(f"  {kind:10s} with {by_kind[(kind, True)]:>3}  without {by_kind[(kind, False)]:>3}")
    print(f"{'set':24s} {'cit.':>5s} {'acts':>5s} {'version':>7s} {'amended':>7s}")
    for name, (base, questions) in question_sets(args.shared).items():
        if base != "shared" or name == "dev + untrained half":
            continue
        m = count([service.ask(q.question) for q in questions])
        report[name] = m
        print(f"{name:24s} {m['citations']:>5} {m['of_acts']:>5} {m['naming_version']:>7} "
              f"{m['amended_quote']:>7}")
    finish(report, args.json, [service])


if __name__ == "__main__":
    main()
