"""The relevance rule of the shared eval sets: evidence found in a passage by token runs.

NFKC-normalise, lower-case, take `\\w+` tokens; the passage is relevant when the longest
contiguous run of evidence tokens found in it is at least half of the evidence tokens and at
least 5 (all of them when the evidence has fewer than 5).
"""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"\w+")


def _folded(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens of NFKC-normalised text."""
    return _WORD.findall(_folded(text))


def token_spans(text: str) -> list[tuple[str, int, int]]:
    """`tokens(text)` with the start and end of each in the normalised text."""
    return [(m.group(), m.start(), m.end()) for m in _WORD.finditer(_folded(text))]


def needed_run(count: int) -> int:
    """The run of evidence tokens the rule needs for evidence of `count` tokens."""
    return count if count < 5 else max(5, (count + 1) // 2)


def longest_run_at(needle: list[str], haystack: list[str]) -> tuple[int, int]:
    """(start in `haystack`, length) of the first longest contiguous run of `needle` tokens
    found in `haystack`; (0, 0) when none is."""
    positions: dict[str, list[int]] = {}
    for i, token in enumerate(needle):
        positions.setdefault(token, []).append(i)
    best, start = 0, 0
    prev: dict[int, int] = {}  # needle index -> run length ending at the previous token
    for j, token in enumerate(haystack):
        cur: dict[int, int] = {}
        for i in positions.get(token, ()):
            run = prev.get(i - 1, 0) + 1
            cur[i] = run
            if run > best:
                best, start = run, j - run + 1
        prev = cur
    return start, best


def longest_run(needle: list[str], haystack: list[str]) -> int:
    """Length of the longest contiguous run of `needle` tokens that appears in `haystack`."""
    return longest_run_at(needle, haystack)[1]


def evidence_found(evidence: str, passage: str) -> bool:
    """True when `passage` contains `evidence` under the relevance rule."""
    ev = tokens(evidence)
    if not ev:
        return False
    return longest_run(ev, tokens(passage)) >= needed_run(len(ev))
