"""The relevance rule of the shared eval sets: evidence found in a passage by token runs.

NFKC-normalise, lower-case, take `\\w+` tokens; the passage is relevant when the longest
contiguous run of evidence tokens found in it is at least half of the evidence tokens and at
least 5 (all of them when the evidence has fewer than 5).
"""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"\w+")


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens of NFKC-normalised text."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).lower())


def longest_run(needle: list[str], haystack: list[str]) -> int:
    """Length of the longest contiguous run of `needle` tokens that appears in `haystack`."""
    positions: dict[str, list[int]] = {}
    for i, token in enumerate(needle):
        positions.setdefault(token, []).append(i)
    best = 0
    prev: dict[int, int] = {}  # needle index -> run length ending at the previous token
    for token in haystack:
        cur: dict[int, int] = {}
        for i in positions.get(token, ()):
            run = prev.get(i - 1, 0) + 1
            cur[i] = run
            if run > best:
                best = run
        prev = cur
    return best


def evidence_found(evidence: str, passage: str) -> bool:
    """True when `passage` contains `evidence` under the relevance rule."""
    ev = tokens(evidence)
    if not ev:
        return False
    need = len(ev) if len(ev) < 5 else max(5, (len(ev) + 1) // 2)
    words = tokens(passage)
    return longest_run(ev, words) >= need
