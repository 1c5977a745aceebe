"""Doubled glyphs: fake-bold PDF text printed twice reads "PPeerrssoonnaalliizzzzaazziioonnii".

Some PDF producers render bold by drawing every glyph twice at almost the same position, and
text extraction then returns every character twice, spaces included. A word is doubled when
its characters come in identical pairs aligned from its first character; un-doubling takes
the first of each pair, so Italian double letters survive ("zzzz" -> "zz").
"""

from __future__ import annotations

import re

MIN_LETTERS = 3  # an un-doubled run must read as a word, not as "22 77" in a table
MIN_LONE_WORD = 4  # a doubled word alone amid normal text: "ss", "ll", "AABB" stay as they are
_VOWELS = frozenset("aeiouyàèéìíòóùú")
_PIECES = re.compile(r"(\s+)")


def is_doubled(token: str) -> bool:
    """True when `token` is a non-empty run of identical character pairs ("PPaa", "zzzz")."""
    return len(token) >= 2 and len(token) % 2 == 0 and token[0::2] == token[1::2]


def undouble(token: str) -> str:
    """The first character of every pair: "OOffffiiccee" -> "Office"."""
    return token[0::2]


def _reads_as_text(words: list[str]) -> bool:
    text = "".join(words)
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= MIN_LETTERS and any(c.lower() in _VOWELS for c in letters)


def _collapse_run(words: list[str], gaps: list[str]) -> list[str] | None:
    """Un-doubled words and gaps of a run, or None when the run must stay as printed."""
    plain = [undouble(w) for w in words]
    if not _reads_as_text(plain):
        return None
    if len(words) == 1 and len(plain[0]) < MIN_LONE_WORD:
        return None
    out = [plain[0]]
    for gap, word in zip(gaps, plain[1:], strict=True):
        out += [undouble(gap), word]
    return out


def collapse_doubled_line(line: str) -> str:
    """Un-double every run of doubled words joined by doubled spaces within one line.

    A run is one or more doubled words separated by whitespace of even length made of
    pairs ("  "); it is collapsed only when the result reads as text (letters, a vowel) and,
    for a lone word, has at least `MIN_LONE_WORD` characters. Everything else is unchanged.
    """
    pieces = _PIECES.split(line)  # words at even indexes, whitespace at odd ones
    out: list[str] = []
    i = 0
    while i < len(pieces):
        if i % 2 or not is_doubled(pieces[i]):
            out.append(pieces[i])
            i += 1
            continue
        j = i  # extend the run while a doubled gap is followed by a doubled word
        while (j + 2 < len(pieces) and is_doubled(pieces[j + 1])
               and is_doubled(pieces[j + 2])):
            j += 2
        run = _collapse_run(pieces[i:j + 1:2], pieces[i + 1:j:2])
        out += run if run is not None else pieces[i:j + 1]
        i = j + 1
    return "".join(out)


def collapse_doubled_glyphs(text: str) -> str:
    """Apply `collapse_doubled_line` to every line of `text`."""
    return "\n".join(collapse_doubled_line(line) for line in text.split("\n"))
