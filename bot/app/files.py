"""Names of files that clients send (API uploads, documents contributed through the bot)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

MAX_NAME = 120
MAX_SUFFIX = 10  # a longer 'extension' is part of the name, not a file type


def safe_name(filename: str | None) -> str:
    """A plain file name from a client-supplied one (no folders, no odd characters)."""
    base = Path((filename or "").replace("\\", "/")).name
    base = unicodedata.normalize("NFKC", base)
    base = re.sub(r"[^\w.\-]+", "_", base, flags=re.UNICODE).strip("._")
    if len(base) <= MAX_NAME:
        return base or "documento"
    suffix = Path(base).suffix if len(Path(base).suffix) <= MAX_SUFFIX else ""
    return base[:MAX_NAME - len(suffix)].rstrip("._") + suffix  # the extension survives
