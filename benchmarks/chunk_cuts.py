"""Where long commi were cut: passages that end inside a citation.

Usage: python -m benchmarks.chunk_cuts --shared-data DIR [--json F]

Counts, over the knowledge base in DIR, the passages and those whose text ends with an
abbreviation's dot ("della legge 24 dicembre 2012, n.", "previste dall'art.", "D.P.R."),
where the splitter of long commi cut a citation in two (`ingest.chunker.ends_inside_citation`),
by document; and the stored references whose act could not be told.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from benchmarks.report import announce, finish, knowledge_base_arguments, run_header
from bot.app.service import Raccordo
from bot.app.settings import Settings
from ingest.chunker import ends_inside_citation


def main() -> None:
    """Print the counts (and optionally write them as JSON)."""
    args = knowledge_base_arguments(__doc__).parse_args()
    report: dict[str, object] = run_header()
    announce(report)
    service = Raccordo(Settings(data_dir=args.shared_data))
    store = service.store
    passages = unknown = 0
    cut: Counter[str] = Counter()
    for doc in store.documents():
        for chunk in store.chunks(doc.id):
            passages += 1
            cut[Path(doc.file).name] += ends_inside_citation(chunk.text)
            unknown += sum(r.act is None and not r.same_act for r in chunk.references)
    cuts = {name: n for name, n in cut.most_common() if n}
    report.update(passages=passages, cut=sum(cuts.values()), cut_by_document=cuts,
                  references_of_unknown_act=unknown)
    print(f"passages {passages}, ending inside a citation {sum(cuts.values())}, "
          f"references of unknown act {unknown}")
    for name, n in cuts.items():
        print(f"  {n:4d}  {name}")
    finish(report, args.json, [service])


if __name__ == "__main__":
    main()
