"""Names of files that clients send (API uploads, documents contributed through the bot)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path


def safe_name(filename: str | None) -> str:
    """A plain file name from a client-supplied one (no folders, no odd characters)."""
    base = Path((filename or "").replace("\\", "/")).name
    base = unicodedata.normalize("NFKC", base)
    base = re.sub(r"[^\w.\-]+", "_", base, flags=re.UNICODE).strip("._")
    return base[:120] or "documento"
