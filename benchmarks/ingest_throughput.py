"""Throughput of the extraction and chunking stage on the shared corpus.

Usage: python -m benchmarks.ingest_throughput [CORPUS] [--rounds N] [--write FILE.md]

Each file goes through what `ingest_path` does before storing: sniff, parse in a sandboxed
child process (fork, time and memory limits), legal structure, chunking. A second figure times
the whole pipeline into a fresh SQLite store (what `raccordo ingest` does before indexing).
Peak memory: max RSS of this process and of the largest parser child (getrusage).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import tempfile
import time
from pathlib import Path

from ingest.chunker import Chunker
from ingest.errors import IngestError
from ingest.legal import parse_units
from ingest.metadata import build_meta, load_manifest
from ingest.pipeline import ingest_path, list_files
from ingest.sandbox import parse_isolated
from ingest.sniff import sniff
from ingest.store import Store

REPO = Path(__file__).resolve().parents[1]


def extract_and_chunk(corpus: Path) -> dict[str, float]:
    """One pass of sniff + sandboxed parse + structure + chunking over every file."""
    manifest = load_manifest(corpus)
    files = list_files(corpus, manifest)
    pages = chunks = skipped = 0
    size = 0
    by_format: dict[str, float] = {}
    cpu_start = _cpu_seconds()
    start = time.perf_counter()
    for rel in files:
        began = time.perf_counter()
        data = (corpus / rel).read_bytes()
        size += len(data)
        fmt = "?"
        try:
            fmt = sniff(data, rel)
            parsed = parse_isolated(data, fmt)
        except IngestError:
            skipped += 1
        else:
            meta = build_meta(rel, manifest.get(rel, {}), parsed)
            chunks += len(Chunker().chunk(parse_units(parsed.blocks, fmt), meta, fmt))
            pages += parsed.pages or 0
        by_format[fmt] = by_format.get(fmt, 0.0) + time.perf_counter() - began
    seconds = time.perf_counter() - start
    out = {"files": len(files), "skipped": skipped, "pages": pages, "chunks": chunks,
           "mb": size / 1048576, "seconds": seconds, "cpu": _cpu_seconds() - cpu_start}
    out.update({f"fmt:{k}": v for k, v in by_format.items()})
    return out


def _cpu_seconds() -> float:
    """User + system CPU time of this process and its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def full_pipeline(corpus: Path) -> float:
    """Seconds for `ingest_path` into a fresh store (parsing, chunking, SQLite writes)."""
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "raccordo.db")
        start = time.perf_counter()
        ingest_path(corpus, store)
        seconds = time.perf_counter() - start
        store.close()
    return seconds


def machine() -> str:
    """CPU model, cores and Python version."""
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} core(s), Python {platform.python_version()}"


def report(corpus: Path, rounds: int) -> str:
    """Run the benchmark and return the Markdown report."""
    runs = [extract_and_chunk(corpus) for _ in range(rounds)]
    best = min(runs, key=lambda r: r["seconds"])
    pipeline = min(full_pipeline(corpus) for _ in range(rounds))
    self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    s = best["seconds"]
    formats = ", ".join(f"{k[4:]} {v:.1f} s" for k, v in sorted(best.items())
                        if k.startswith("fmt:"))
    averages = os.getloadavg()
    load = ", ".join(f"{x:.1f}" for x in averages)
    busy = averages[0] >= (os.cpu_count() or 1)
    context = ("the machine was shared with other jobs, so these are lower bounds" if busy
               else "a quiet machine")
    lines = [
        "# Ingestion throughput (extraction + chunking)",
        "",
        f"Measured {dt.date.today().isoformat()} on {machine()} with "
        "`python -m benchmarks.ingest_throughput` (best of "
        f"{rounds} rounds; load average at the end {load}: {context}).",
        "",
        f"Corpus: `{corpus.name}/`, {best['files']:.0f} files, {best['mb']:.1f} MB, "
        f"{best['pages']:.0f} PDF pages, {best['skipped']:.0f} skipped (scanned PDF).",
        "",
        "| stage | seconds | files/s | pages/s | chunks/s |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| sniff + sandboxed parse + structure + chunking | {s:.2f} | "
        f"{best['files'] / s:.1f} | {best['pages'] / s:.1f} | {best['chunks'] / s:.0f} |",
        f"| full `ingest_path` into a fresh SQLite store | {pipeline:.2f} | "
        f"{best['files'] / pipeline:.1f} | {best['pages'] / pipeline:.1f} | "
        f"{best['chunks'] / pipeline:.0f} |",
        f"| first stage per CPU second (user+sys, parent + children) | {best['cpu']:.2f} | "
        f"{best['files'] / best['cpu']:.1f} | {best['pages'] / best['cpu']:.1f} | "
        f"{best['chunks'] / best['cpu']:.0f} |",
        "",
        "Wall-clock figures depend on the machine's load; CPU-second figures much less so.",
        "",
        f"Chunks produced: {best['chunks']:.0f}. Peak memory (max RSS): this process "
        f"{self_mb:.0f} MB, largest parser child {child_mb:.0f} MB.",
        "",
        f"Time by format (first stage): {formats}.",
        "",
        "Each file is parsed in a forked child (time limit 120 s, 1 GB extra address space);"
        " PDFs dominate the time (pypdf text extraction). Embedding is not included: see the"
        " index benchmarks.",
    ]
    return "\n".join(lines) + "\n"


def corpus_parser() -> argparse.ArgumentParser:
    """Arguments shared by the corpus benchmarks: CORPUS (default: the shared one), --write."""
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus", nargs="?", type=Path,
                        default=Path(os.environ.get("RACCORDO_SHARED_DIR",
                                                    REPO.parent / "shared")) / "corpus")
    parser.add_argument("--write", type=Path, default=None, help="also write the report here")
    return parser


def publish(text: str, path: Path | None) -> None:
    """Print a report, and write it to `path` when given."""
    print(text)
    if path:
        path.write_text(text, encoding="utf-8")


def main() -> None:
    """Print (and optionally write) the throughput report."""
    parser = corpus_parser()
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    publish(report(args.corpus, args.rounds), args.write)


if __name__ == "__main__":
    main()
