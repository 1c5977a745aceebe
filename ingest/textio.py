"""Decoding and light normalisation of text: UTF-8 or cp1252/latin-1, verbatim otherwise."""

from __future__ import annotations

import re

_BOMS = (b"\xef\xbb\xbf",)
_SPACES = re.compile(r"[\u00a0\u2007\u202f]")  # no-break spaces → plain space
_INVISIBLE = re.compile(r"[\u00ad\u200b\ufeff]")  # soft hyphen, zero-width space, BOM


def decode_bytes(data: bytes) -> str:
    """Decode UTF-8 (with or without BOM), else cp1252, else latin-1; never fails."""
    for bom in _BOMS:
        if data.startswith(bom):
            data = data[len(bom):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:  # bytes undefined in cp1252 (0x81, 0x8d, ...)
        return data.decode("latin-1")


def normalise_text(text: str) -> str:
    """Unify line ends, turn no-break spaces into spaces, drop soft hyphens; nothing else."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _SPACES.sub(" ", text)
    return _INVISIBLE.sub("", text)


def read_text(data: bytes) -> str:
    """Decode and normalise the bytes of a text file."""
    return normalise_text(decode_bytes(data))
