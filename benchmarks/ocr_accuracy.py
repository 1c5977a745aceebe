"""OCR character accuracy: text PDFs of the corpus rendered to images, read back by Tesseract.

Usage: python -m benchmarks.ocr_accuracy [CORPUS] [--pages 2] [--dpi 300] [--write FILE.md]

Each chosen page is rendered by pypdfium2 and read by Tesseract (`ingest.ocr.ocr_pdf_pages`, the
code ingestion uses on scans); the reference is the page's own text layer (pypdf). Both texts
are normalised the same way (NFKC, typographic quotes and dashes to ASCII, whitespace collapsed)
and compared two ways, over all pages (sum of distances / sum of lengths) and per document:
- strict: 1 - Levenshtein(reference page, OCR page) / reference length. Tables and boxed
  layouts are read by Tesseract in another order than the layer stores them: on such pages
  this counts correct text as errors;
- line by line: each line of the layer is compared with the OCR text where it matches best
  (edit distance to the best substring), so order does not matter; text the OCR adds is not
  counted. Target: >= 95%.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import re
import time
import unicodedata
from pathlib import Path

from benchmarks.ingest_throughput import corpus_parser, machine, publish
from ingest.ocr import OCR_DPI, ocr_pdf_pages

# prose-heavy PDFs of the shared corpus with a clean text layer (GU_190's fonts are not)
DOCUMENTS = ("AVMTB_cooperazione_SIT.pdf", "AgID_pagoPA_GuidaTecnica_AvvisoAnalogico_V2.1.pdf",
             "AgID_pagoPA_pagamento_presso_POS_fisici_v1.0.pdf",
             "AgID_pagoPA_specifiche_attuative_codici_identificativi_v1.3.1.pdf",
             "ComuneBari-PayFlowPA-EnteIntermediario-v1.0.pdf", "ComuneBari-PayFlowPA-FAQ-v1.0.pdf",
             "Integrazione-SIT_v2.pdf", "SICLA_manuale_uso_v1.1.pdf")
FIRST_PAGE = 2  # 0-based: skip covers
_LEADERS = re.compile(r"(?:\.\s*){5,}|…{2,}|_{4,}")  # tables of contents: not prose
_SAME = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "«": '"', "»": '"', "–": "-",
                       "—": "-", "•": " ", "▪": " ", "\uf0b7": " ", "\u00a0": " "})


def normalise(text: str) -> str:
    """NFKC, ASCII quotes and dashes, no bullets, single spaces."""
    text = unicodedata.normalize("NFKC", text).translate(_SAME)
    return re.sub(r"\s+", " ", text).strip()


def levenshtein(a: str, b: str, *, anywhere: bool = False) -> int:
    """Edit distance (Myers/Hyyrö bit-parallel algorithm on Python integers); with `anywhere`,
    the distance of `a` to the substring of `b` it matches best."""
    if not a or not b:
        return len(a) if anywhere else len(a) or len(b)
    full, top = (1 << len(a)) - 1, 1 << (len(a) - 1)
    peq: dict[str, int] = {}
    for i, ch in enumerate(a):
        peq[ch] = peq.get(ch, 0) | (1 << i)
    pv, mv, score = full, 0, len(a)
    best, carry = score, 0 if anywhere else 1  # anywhere: a match may start at any place
    for ch in b:
        eq = peq.get(ch, 0)
        xv = eq | mv
        xh = ((((eq & pv) + pv) & full) ^ pv) | eq
        ph = (mv | ~(xh | pv)) & full
        mh = pv & xh
        score += 1 if ph & top else -1 if mh & top else 0
        ph = ((ph << 1) | carry) & full
        mh = (mh << 1) & full
        pv = (mh | ~(xv | ph)) & full
        mv = ph & xv
        best = min(best, score)
    return best if anywhere else score


def text_pages(data: bytes) -> list[tuple[str, bool]]:
    """(text layer, has images) of every page (pypdf): text in images is not in the layer."""
    import pypdf

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    reader = pypdf.PdfReader(io.BytesIO(data))
    return [(page.extract_text() or "", bool(page.images)) for page in reader.pages]


def measure(path: Path, pages: int, dpi: int) -> tuple[int, int, int, int, float]:
    """(pages read, reference chars, strict distance, line-by-line distance, OCR seconds)."""
    data = path.read_bytes()
    pages_ = text_pages(data)
    layer = [text for text, _ in pages_]
    chosen = [i for i in range(FIRST_PAGE, len(layer)) if not pages_[i][1]
              and len(normalise(layer[i])) >= 200 and not _LEADERS.search(layer[i])]
    chosen = chosen[:pages]
    start = time.monotonic()
    read = ocr_pdf_pages(data, chosen, dpi=dpi)
    seconds = time.monotonic() - start
    chars = strict = lines = 0
    for i in chosen:
        ref, got = normalise(layer[i]), normalise(read[i])
        chars += len(ref)
        strict += levenshtein(ref, got)
        lines += sum(levenshtein(normalise(line), got, anywhere=True)
                     for line in layer[i].splitlines() if normalise(line))
    return len(chosen), chars, strict, lines, seconds


def report(corpus: Path, pages: int, dpi: int) -> str:
    """Run the benchmark and return the Markdown report."""
    rows = []
    total_pages = total_chars = total_strict = total_lines = 0
    total_seconds = 0.0
    for name in DOCUMENTS:
        n, chars, strict, by_line, seconds = measure(corpus / name, pages, dpi)
        if not n:
            continue
        rows.append(f"| {name} | {n} | {chars} | {1 - by_line / chars:.1%} | "
                    f"{1 - strict / chars:.1%} | {seconds / n:.1f} |")
        total_pages, total_chars = total_pages + n, total_chars + chars
        total_strict, total_lines = total_strict + strict, total_lines + by_line
        total_seconds += seconds
    accuracy = 1 - total_lines / max(1, total_chars)
    strict_accuracy = 1 - total_strict / max(1, total_chars)
    load = os.getloadavg()
    busy = load[0] >= (os.cpu_count() or 1)
    context = "a shared, busy machine: seconds are upper bounds" if busy else "a quiet machine"
    lines = [
        "# OCR character accuracy (Tesseract, Italian)",
        "",
        f"Measured {dt.date.today().isoformat()} on {machine()} with `python -m "
        f"benchmarks.ocr_accuracy --pages {pages} --dpi {dpi}` (load average at the end "
        f"{load[0]:.1f}: {context}).",
        "",
        f"**Character accuracy {accuracy:.1%} line by line** (target >= 95%), "
        f"{strict_accuracy:.1%} strict (whole page in reading order), over {total_pages} pages "
        f"({total_chars} reference characters); {total_seconds / max(1, total_pages):.1f} s of "
        "OCR per page (render + Tesseract, one thread).",
        "",
        "| document | pages | characters | line by line | strict | s/page |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        *rows,
        "",
        "Pages from the third on with at least 200 characters of text layer, no images (their "
        "text is not in the layer) and no table of contents (dot leaders); the reference is "
        "that layer (pypdf), both sides normalised (NFKC, quotes, dashes, bullets, spaces). "
        "Strict: the whole page in reading order, so tables and boxes read in another order "
        "count as errors. Line by line: each layer line against the OCR text it matches best "
        "(order-free; text the OCR adds is not counted).",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Print (and optionally write) the accuracy report."""
    parser = corpus_parser()
    parser.add_argument("--pages", type=int, default=2, help="pages per document")
    parser.add_argument("--dpi", type=int, default=OCR_DPI)
    args = parser.parse_args()
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    publish(report(args.corpus, args.pages, args.dpi), args.write)


if __name__ == "__main__":
    main()
