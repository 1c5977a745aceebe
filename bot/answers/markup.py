"""Plain text for people: inline Markdown marks removed from quotes before they are shown.

The stored chunk text stays verbatim (a citation's `quote` is still a substring of it); only
what a front door displays loses `**bold**`, `_italics_`, `` `code` `` and `[text](link)`.
"""

from __future__ import annotations

import re

_LINK = re.compile(r"!?\[([^\]\n]+)\]\([^)\s]+(?:\s+\"[^\"]*\")?\)")
_SPAN = r"((?:(?!\n\s*\n).)+?)"  # marks may wrap a line, never a paragraph
_STRONG = re.compile(r"(\*\*|__)(?=\S)" + _SPAN + r"(?<=\S)\1", re.S)
_EMPHASIS = re.compile(r"(?<![\w*])([*_])(?=[^\s*_])" + _SPAN + r"(?<=[^\s*_])\1(?![\w*])",
                       re.S)
_CODE = re.compile(r"`([^`\n]+)`")


def plain(text: str) -> str:
    """`text` without inline Markdown marks (links keep their words, code its content)."""
    text = _LINK.sub(r"\1", text)
    text = _CODE.sub(r"\1", text)
    text = _STRONG.sub(r"\2", text)
    return _EMPHASIS.sub(r"\2", text)
