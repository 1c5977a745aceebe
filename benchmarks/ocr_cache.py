"""What the OCR cache saves when a knowledge base is read again.

Usage:
    python -m benchmarks.ocr_cache [CORPUS] [--json F]

For each PDF of CORPUS (default: the shared corpus) that needs OCR on some page, ingests it
alone into a fresh store three times: without a cache, with an empty cache (the pages are read
and kept) and again with `rebuild` (as after a new chunking version or `--rebuild`: the pages
come from the cache). Prints the OCR'd pages and the seconds of each run, and checks that the
chunks are the same text every time.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from benchmarks.report import announce, run_header
from ingest.pipeline import Limits, ingest_path
from ingest.readers.pdf import MIN_CHARS_PER_PAGE
from ingest.store import Store

SHARED = Path(__file__).resolve().parents[2] / "shared" / "corpus"
TIMEOUT_S = 600.0


def needs_ocr(path: Path) -> bool:
    """True when some page of the PDF has no text layer."""
    from pypdf import PdfReader

    pages = PdfReader(str(path)).pages
    return any(len("".join((p.extract_text() or "").split())) < MIN_CHARS_PER_PAGE
               for p in pages)


def timed_ingest(path: Path, work: Path, cache: Path | None, *, rebuild: bool
                 ) -> tuple[float, list[str], tuple[int, ...]]:
    """Seconds, chunk texts and OCR'd pages of ingesting `path` into the store in `work`."""
    store = Store(work / "raccordo.db")
    try:
        start = time.perf_counter()
        ingest_path(path, store, rebuild=rebuild,
                    limits=Limits(timeout_s=TIMEOUT_S, ocr_cache=cache))
        seconds = time.perf_counter() - start
        [doc] = store.documents()
        return seconds, [c.text for c in store.chunks(doc.id)], doc.ocr_pages
    finally:
        store.close()


def measure(path: Path) -> dict[str, object]:
    """The three runs of one PDF."""
    with tempfile.TemporaryDirectory(prefix="raccordo-ocr-") as tmp:
        root = Path(tmp)
        plain, texts, pages = timed_ingest(path, root / "a", None, rebuild=False)
        cold, cold_texts, _ = timed_ingest(path, root / "b", root / "cache", rebuild=False)
        warm, warm_texts, _ = timed_ingest(path, root / "b", root / "cache", rebuild=True)
    return {"ocr_pages": len(pages), "no_cache_s": round(plain, 2),
            "empty_cache_s": round(cold, 2), "cached_s": round(warm, 2),
            "same_text": texts == cold_texts == warm_texts}


def main() -> None:
    """Print one row per PDF that needs OCR."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("corpus", nargs="?", type=Path, default=SHARED)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    report: dict[str, object] = run_header()
    announce(report)
    print(f"{'file':58s} {'ocr`d':>5s} {'no cache':>9s} {'empty':>7s} {'cached':>7s} same")
    for path in sorted(args.corpus.glob("*.pdf")):
        if not needs_ocr(path):
            continue
        row = measure(path)
        report[path.name] = row
        print(f"{path.name[:58]:58s} {row['ocr_pages']:>5} {row['no_cache_s']:>8.1f}s "
              f"{row['empty_cache_s']:>6.1f}s {row['cached_s']:>6.1f}s {row['same_text']}")
    if args.json:
        import json

        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
