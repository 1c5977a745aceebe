"""Do citations say which version of an act they quote, what its amendment marks mean, and
can an official open what they cite?

Usage:
    python -m benchmarks.citation_versions --shared-data DIR [--json F]

Counts, over the knowledge base, the documents that record the date of their text version
(`DocumentMeta.in_force`, by kind) and the stored references to acts it does not hold, with
how many of them link to their public text (`outside_links`); then, over the answers of the
default service to every question set on the shared corpus: the citations, those of an act
(law, decree, regulation, statute), those that name the version they quote ("testo vigente
al …"), those whose quote holds Normattiva's "((…))" marks of amended words
(`Citation.amended`) and those that link the same place in today's text
(`Citation.current_url`); then the provisions the quotes cite (`Citation.references`): in
the knowledge base, outside it with a link to their public text (Normattiva or EUR-Lex, dated
from the corpus's own citations), outside without one. The knowledge base must have been
ingested with chunking version 6 or later (older documents carry no version date: the
column is then 0).
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
from ingest.links import act_link


def count(answers: Sequence[Answer]) -> dict[str, int]:
    """Citations, of acts, naming their version, quoting amended words."""
    cited = [c for a in answers for c in a.citations]
    refs = [r for c in cited for r in c.references]
    return {"citations": len(cited),
            "of_acts": sum(c.kind in LEGAL_KINDS for c in cited),
            "naming_version": sum(c.in_force is not None for c in cited),
            "amended_quote": sum(c.amended for c in cited),
            "today_link": sum(c.current_url is not None for c in cited),
            "references": sum(len(c.references) for c in cited),
            "ref_in_archive": sum(bool(r.get("chunk_id")) for r in refs),
            "ref_outside_linked": sum(not r.get("chunk_id") and bool(r.get("url")) for r in refs),
            "ref_outside_unlinked": sum(not r.get("chunk_id") and not r.get("url")
                                        for r in refs)}


CODES = {"rd:262/1942", "rd:1398/1930", "rd:1443/1940", "dpr:447/1988", "dlgs:285/1992",
         "dlgs:42/2004"}
"""The codes keyed since chunking version 7 (civil, penal, both procedures, road, heritage)."""


def outside_links(service: Raccordo) -> dict[str, int]:
    """Stored references to acts the knowledge base does not hold, and how many of them
    link to their public text (the article is not looked up: the act is enough here); and
    the references whose act could not be told (`unknown_act`: no link, no passage)."""
    held = {d.meta.act for d in service.store.documents() if d.meta.act}
    dates = service.store.act_dates()
    cited = [r for c in service.store.chunks() for r in c.references]
    outside = [r for r in cited if r.act and r.act not in held]
    return {"references": len(cited), "unknown_act": sum(r.act is None for r in cited),
            "outside_acts": len(outside),
            "to_codes": sum(r.act in CODES for r in cited),
            "outside_linked": sum(act_link(r.act, dates.get(r.act or "")) is not None
                                  for r in outside),
            "acts_dated": len(dates)}


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
    stored = outside_links(service)
    report["stored_references"] = stored
    print(f"references stored: {stored['references']}, to acts outside the knowledge base: "
          f"{stored['outside_acts']}, of which linked to their text: {stored['outside_linked']}"
          f" ({stored['acts_dated']} acts dated); to the codes (civil, penal, road...): "
          f"{stored['to_codes']}; of an act that could not be told: {stored['unknown_act']}")
    print(f"{'set':24s} {'cit.':>5s} {'acts':>5s} {'version':>7s} {'amended':>7s} "
          f"{'today':>5s} | {'refs':>4s} {'in kb':>5s} {'linked':>6s} {'unlinked':>8s}")
    for name, (base, questions) in question_sets(args.shared).items():
        if base != "shared" or name == "dev + untrained half":
            continue
        m = count([service.ask(q.question) for q in questions])
        report[name] = m
        print(f"{name:24s} {m['citations']:>5} {m['of_acts']:>5} {m['naming_version']:>7} "
              f"{m['amended_quote']:>7} {m['today_link']:>5} | {m['references']:>4} "
              f"{m['ref_in_archive']:>5} {m['ref_outside_linked']:>6} "
              f"{m['ref_outside_unlinked']:>8}")
    finish(report, args.json, [service])


if __name__ == "__main__":
    main()
