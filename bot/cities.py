"""The reference list of Città metropolitane and how city names are compared."""

from __future__ import annotations

import re
import unicodedata

from ingest.metadata import METROPOLITAN_CITIES  # the 14 Città metropolitane, one list

NO_CITY = "nazionale / non specificata"
"""Label of documents without a city (national acts, guidelines, unknown origin)."""

__all__ = ["METROPOLITAN_CITIES", "NO_CITY", "city_key"]

_PREFIXES = re.compile(
    r"^(?:citta metropolitana di|citta metropolitana|cm|c m|comune di|provincia di|"
    r"area vasta( metropoli)?( terra)? di)\s+"
)


def city_key(name: str | None) -> str:
    """A comparison key: lower case, no accents or punctuation, no 'Città metropolitana di'."""
    if not name:
        return ""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"[^a-z0-9]+", " ", text.replace("'", " ")).strip()
    text = _PREFIXES.sub("", text)
    return "roma" if text in {"roma capitale", "roma"} else text


def city_label(city: str | None) -> str:
    """The name shown for a document's city (NO_CITY when it has none)."""
    return city.strip() if city and city.strip() else NO_CITY
