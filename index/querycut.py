"""Queries cut to what the embedding model reads, so no query costs more than a short one."""

from __future__ import annotations

import re
from collections.abc import Callable

from index.embedders import Embedder

TokenCount = Callable[[str], int]

_PIECE = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def approx_tokens(text: str) -> int:
    """A generous token estimate for embedders without a tokenizer at hand (2 per word)."""
    return 2 * len(_PIECE.findall(text)) + 2


def token_counter(embedder: Embedder) -> TokenCount:
    """The embedder's own query token count when it has one, else `approx_tokens`."""
    count = getattr(embedder, "query_tokens", None)
    return count if callable(count) else approx_tokens


def cut_query(text: str, max_tokens: int, count: TokenCount) -> str:
    """The longest prefix of `text` (whole words when possible) within `max_tokens`."""
    text = text.strip()
    if count(text) <= max_tokens:
        return text
    words = text.split()
    n = _longest(len(words), lambda i: count(" ".join(words[:i])) <= max_tokens)
    if n > 0:
        return " ".join(words[:n])
    first = words[0]  # one huge "word": cut it by characters
    return first[:_longest(len(first), lambda i: count(first[:i]) <= max_tokens)]


def _longest(size: int, fits: Callable[[int], bool]) -> int:
    """The largest i in [0, size] with fits(i) (fits is monotone, fits(0) is assumed)."""
    lo, hi = 0, size
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo
