"""The version of an act's text: the date on which the indexed text is the one in force.

Italian acts change by amendment, so a quote of "art. 163 TUEL" is only checkable against the
version it was taken from ("testo vigente al 4 novembre 2025"). The date comes, in this order,
from a declared field (`vigente_al`, `in_force`, `data_vigenza` in a manifest or sidecar), from
the document itself (Normattiva's front matter `dataVigenza: 20251104`, an Akoma Ntoso
expression date) or from its title ("…, testo vigente al 4/11/2025"). Documents that say
nothing of it (guidelines, manuals, plans) have none: they carry their year instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

MONTHS = ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
          "settembre", "ottobre", "novembre", "dicembre")
_COMPACT = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})$")
_NUMERIC = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$")
_DAY_MONTH = r"(?:\s*[°º]\s*|\s+)"  # "4 novembre", "1° gennaio", "1°gennaio"
_WORDS = re.compile(rf"^(\d{{1,2}}){_DAY_MONTH}({'|'.join(MONTHS)})\s+(\d{{4}})$", re.IGNORECASE)
_DATE_TEXT = (r"\d{1,2}[./-]\d{1,2}[./-]\d{4}|\d{4}-\d{2}-\d{2}"
              rf"|\d{{1,2}}{_DAY_MONTH}(?:{'|'.join(MONTHS)})\s+\d{{4}}")
_IN_TITLE = re.compile(rf"\bvigente\s+(?:(?:al(?:la\s+data\s+del)?|il)\s*:?\s+|all['’]\s*)"
                       rf"({_DATE_TEXT})\b", re.IGNORECASE)
_WRITTEN = re.compile(rf"\b(\d{{1,2}}){_DAY_MONTH}({'|'.join(MONTHS)})\s+(\d{{4}})\b",
                      re.IGNORECASE)
DECLARED = ("in_force", "vigente_al", "data_vigenza", "datavigenza")
"""Manifest or sidecar fields that declare the date (the first one present wins)."""


def parse_date(value: str | None) -> str | None:
    """An ISO date (YYYY-MM-DD) from '20251104', '2025-11-04', '4/11/2025' or '4 novembre 2025';
    None when `value` is not a real date in one of these forms."""
    text = " ".join((value or "").split())
    for pattern, order in ((_COMPACT, (0, 1, 2)), (_NUMERIC, (2, 1, 0)), (_WORDS, (2, 1, 0))):
        match = pattern.match(text)
        if not match:
            continue
        parts = [match.group(i + 1) for i in order]
        month = parts[1] if parts[1].isdigit() else str(MONTHS.index(parts[1].lower()) + 1)
        try:
            return date(int(parts[0]), int(month), int(parts[2])).isoformat()
        except ValueError:
            return None
    return None


def written_dates(text: str) -> list[str]:
    """The ISO dates written in words in `text` ('4 novembre 2025', '1° gennaio 2024'), in
    order; a day that does not exist is skipped."""
    found = (parse_date(" ".join(m.groups())) for m in _WRITTEN.finditer(text))
    return [d for d in found if d]


def in_force_on(fields: Mapping[str, str], props: Mapping[str, str], title: str | None
                ) -> str | None:
    """The date of the text version, from declared fields, the document's own properties or
    its title, in that order: the first that gives a valid date (a declared value that is
    not one falls through to what the document says), else None."""
    declared = declared_date(fields)
    if declared:
        return declared
    for name in ("dataVigenza", "in_force"):
        own = parse_date(props.get(name))
        if own:
            return own
    match = _IN_TITLE.search(title or "")
    return parse_date(match.group(1)) if match else None


def declared_date(fields: Mapping[str, str]) -> str | None:
    """The first valid date among the declared fields (`DECLARED`), or None."""
    return next((d for d in (parse_date(fields.get(name)) for name in DECLARED) if d), None)


def italian_date(iso: str) -> str:
    """'4 novembre 2025' for '2025-11-04' ('1° gennaio 2024' for the first of the month, as
    Italian acts write it); the value unchanged when it is not an ISO date."""
    if parse_date(iso) != iso:  # not a real ISO date
        return iso
    match = _COMPACT.match(iso)
    assert match is not None
    day = int(match.group(3))
    return f"{'1°' if day == 1 else day} {MONTHS[int(match.group(2)) - 1]} {match.group(1)}"
