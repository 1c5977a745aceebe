"""Do citations name the page their quote is on?

Usage:
    python -m benchmarks.citation_pages --shared-data DIR [--json F]

A passage may run over several pages of a PDF (a short section joined with the next ones, a
comma across a page break). Before `Chunk.page_breaks` a citation named the passage's first
page; now it names the page(s) of the quoted sentences (`bot.answers.citations.quote_pages`).
It first counts the passages of the knowledge base that span pages. For every question set
on the shared corpus and the default service, it then counts the
citations, those whose passage spans pages, those whose pages were narrowed, and those whose
first page moved. Then, for relevant citations of a question whose relevant entry names a page
("page 6", written by the question sets' authors from the PDF, independently of our page
breaks): how often that page is the one cited, by the passage's first page (before) and by the
quote's page (now), in the same run. The knowledge base must have been ingested with chunking
version 5 or later (older chunks carry no page breaks: both columns are then equal).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from benchmarks.answers_split import question_sets
from benchmarks.report import announce, finish, knowledge_base_arguments, run_header
from bot.answers.evaluation import cited_hits
from bot.answers.models import Answer
from bot.app.service import Raccordo
from bot.app.settings import Settings
from index.evaluation import Question, evidence_found

_PAGE = re.compile(r"^page (\d+)$")


def named_page(question: Question, file: str, text: str) -> int | None:
    """The page a relevant entry names for this passage ("page 6"), if it names one."""
    for r in question.relevant:
        page = _PAGE.match(r.locator.strip())
        if page and Path(r.file).name == Path(file).name and evidence_found(r.evidence, text):
            return int(page.group(1))
    return None


def count(questions: Sequence[Question], answers: Sequence[Answer]) -> dict[str, int]:
    """Citations, multi-page passages, narrowed, moved; named pages matched before and now."""
    out = dict.fromkeys(("citations", "multi_page", "narrowed", "first_page_moved",
                         "with_named_page", "named_page_before", "named_page_now"), 0)
    for q, a in zip(questions, answers, strict=True):
        for citation, hit in cited_hits(a):
            if hit is None:
                continue
            loc = hit.chunk.locator
            out["citations"] += 1
            if loc.page_start is None or loc.page_end in (None, loc.page_start):
                continue
            out["multi_page"] += 1
            out["narrowed"] += not citation.locator.endswith(f"pp. {loc.page_start}-{loc.page_end}")
            out["first_page_moved"] += citation.page != loc.page_start
            page = named_page(q, hit.document.file, hit.chunk.text) if q.answerable else None
            if page is not None:
                out["with_named_page"] += 1
                out["named_page_before"] += page == loc.page_start
                out["named_page_now"] += page == citation.page
    return out


def main() -> None:
    """Print the table (and optionally write it as JSON)."""
    args = knowledge_base_arguments(__doc__).parse_args()
    service = Raccordo(Settings(data_dir=args.shared_data))
    report: dict[str, object] = run_header()
    announce(report)
    chunks = service.store.chunks()
    spanning = [c for c in chunks if c.page_breaks]
    report.update(passages=len(chunks), passages_spanning_pages=len(spanning))
    print(f"passages spanning pages (with their page breaks): {len(spanning)} of {len(chunks)}")
    print(f"{'set':24s} {'cit.':>5s} {'multi':>5s} {'narrow':>6s} {'moved':>5s} | named page:"
          f" {'n':>3s} {'before':>6s} {'now':>4s}")
    for name, (base, questions) in question_sets(args.shared).items():
        if base != "shared" or name == "dev + untrained half":
            continue
        m = count(questions, [service.ask(q.question) for q in questions])
        report[name] = m
        print(f"{name:24s} {m['citations']:>5} {m['multi_page']:>5} {m['narrowed']:>6} "
              f"{m['first_page_moved']:>5} | {'':11s} {m['with_named_page']:>3} "
              f"{m['named_page_before']:>6} {m['named_page_now']:>4}")
    finish(report, args.json, [service])


if __name__ == "__main__":
    main()
