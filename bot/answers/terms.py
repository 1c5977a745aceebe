"""Content terms of Italian text for answer composition: the index's own analyzer.

Answers and BM25 agree on what a term is (`index.tokenizer.analyze`: legal tokens whole,
elisions split, stop-words dropped, Snowball Italian stems, accents folded).
"""

from __future__ import annotations

from index.tokenizer import analyze


def terms(text: str) -> list[str]:
    """Content terms of `text`, in order (duplicates kept)."""
    return analyze(text)
