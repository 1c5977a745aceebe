"""How many chunks of a corpus un-doubling fake-bold glyphs changes (ingest only, no index).

Usage: python -m benchmarks.doubled_glyphs [CORPUS]

Ingests CORPUS twice into temporary SQLite stores, once as released and once with
`collapse_doubled_glyphs` switched off (the PDF reader runs in a forked child, which sees the
switch), and prints the files whose chunks differ and how many chunks contain doubled runs.
"""

from __future__ import annotations

import argparse
import re
import tempfile
from collections import defaultdict
from pathlib import Path

import ingest.readers.pdf as pdf_reader
from ingest.pipeline import ingest_path
from ingest.store import Store

REPO = Path(__file__).resolve().parents[1]
DOUBLED_RUN = re.compile(r"(?<!\S)(?:(\S)\1)+(?:  (?:(\S)\2)+)+(?!\S)")  # >= 2 doubled words


def chunk_texts(corpus: Path, folder: Path) -> dict[str, list[str]]:
    """File name -> chunk texts in order, from a fresh ingest of `corpus`."""
    store = Store(folder / "raccordo.db")
    ingest_path(corpus, store)
    texts: dict[str, list[str]] = defaultdict(list)
    for doc in store.documents():
        texts[doc.file] = [c.text for c in store.chunks(doc.id)]
    store.close()
    return texts


def main() -> None:
    """Print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("corpus", nargs="?", type=Path, default=REPO.parent / "shared" / "corpus")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        after = chunk_texts(args.corpus, Path(tmp) / "after")
        released = pdf_reader.collapse_doubled_glyphs
        pdf_reader.collapse_doubled_glyphs = lambda text: text
        try:
            before = chunk_texts(args.corpus, Path(tmp) / "before")
        finally:
            pdf_reader.collapse_doubled_glyphs = released
    doubled = {f: sum(bool(DOUBLED_RUN.search(t)) for t in ts) for f, ts in before.items()}
    print(f"chunks with doubled runs before: {sum(doubled.values())} "
          f"(in {sum(bool(n) for n in doubled.values())} files)")
    print(f"chunks with doubled runs after: "
          f"{sum(bool(DOUBLED_RUN.search(t)) for ts in after.values() for t in ts)}")
    for name in sorted(set(before) | set(after)):
        if before.get(name) != after.get(name):
            old, new = before.get(name, []), after.get(name, [])
            print(f"{name}: {len(old)} -> {len(new)} chunks, "
                  f"{len(set(old) - set(new))} chunk texts gone, {len(set(new) - set(old))} new")


if __name__ == "__main__":
    main()
