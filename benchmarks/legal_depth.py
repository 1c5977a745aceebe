"""Cross-references and in-force state on the 13 shared laws.

Usage: python -m benchmarks.legal_depth [CORPUS] [--write FILE.md]

Ingests the 13 laws (Normattiva Markdown and the CAD's NIR XML) into a fresh store, then:
- scores the resolution of "articolo N" references against the hand-labelled sample in
  tests/data/crossrefs_labelled.jsonl (recall on same-act items, precision of same-act
  resolutions; "tuning" items were seen while writing the rules, "heldout" ones were not);
- counts references per kind and how many resolve to a chunk of the store;
- counts chunks not in force (repealed) per law.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections import Counter
from pathlib import Path

from benchmarks.ingest_throughput import corpus_parser, machine, publish
from ingest.pipeline import ingest_path
from ingest.store import Store
from tests.legal_kit import LAWS, score


def _reference_counts(store: Store) -> Counter[str]:
    counts: Counter[str] = Counter()
    chunks = store.chunks()
    resolved = store.references([c.id for c in chunks if c.id is not None])
    for refs in resolved.values():
        for ref in refs:
            kind = ("same act" if ref.reference.same_act else
                    "other act" if ref.reference.act else "act not identified")
            counts[kind] += 1
            counts[f"{kind}, resolved"] += ref.in_store
    return counts


def report(corpus: Path) -> str:
    """Run the measurements and return the Markdown report."""
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "raccordo.db")
        for law in LAWS:
            ingest_path(corpus / law, store)
        scores = {name: score(store, subset) for name, subset in
                  (("all", None), ("tuning", "tuning"), ("heldout", "heldout"))}
        counts = _reference_counts(store)
        repealed = [(d.file, sum(not c.vigente for c in store.chunks(d.id)), d.chunks)
                    for d in store.documents()]
        store.close()
    lines = [
        "# Legal depth on the 13 shared laws",
        "",
        f"Measured {dt.date.today().isoformat()} on {machine()} with "
        "`python -m benchmarks.legal_depth` (no timing: figures do not depend on load).",
        "",
        "## Same-act \"articolo N\" references (hand-labelled sample)",
        "",
        "| items | same-act items | resolved to the right article | recall | precision |",
        "| --- | ---: | ---: | ---: | ---: |",
        *(f"| {name} | {s.same} | {s.resolved_right} | {s.recall:.1%} | {s.precision:.1%} "
          f"({s.correct}/{s.resolved}) |" for name, s in scores.items()),
        "",
        "## References found at ingestion",
        "",
        "| kind | references | resolved to a stored chunk |",
        "| --- | ---: | ---: |",
        *(f"| {kind} | {counts[kind]} | {counts[kind + ', resolved']} |"
          for kind in ("same act", "other act", "act not identified")),
        "",
        "## Chunks not in force (repealed provisions)",
        "",
        "| law | chunks not in force | chunks |",
        "| --- | ---: | ---: |",
        *(f"| {file} | {n} | {total} |" for file, n, total in repealed),
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Print (and optionally write) the report."""
    args = corpus_parser().parse_args()
    publish(report(args.corpus), args.write)


if __name__ == "__main__":
    main()
