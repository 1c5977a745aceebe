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
    if not needle or not haystack:
        return 0
    best = 0
    prev = [0] * (len(haystack) + 1)
    for a in needle:
        cur = [0] * (len(haystack) + 1)
        for j, b in enumerate(haystack, start=1):
            if a == b:
                cur[j] = prev[j - 1] + 1
                if cur[j] > best:
                    best = cur[j]
        prev = cur
    return best


def evidence_found(evidence: str, passage: str) -> bool:
    """True when `passage` contains `evidence` under the relevance rule."""
    ev = tokens(evidence)
    if not ev:
        return False
    need = len(ev) if len(ev) < 5 else max(5, (len(ev) + 1) // 2)
    return longest_run(ev, tokens(passage)) >= need
