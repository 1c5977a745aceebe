"""The dates of the acts a knowledge base cites, read from how its documents cite them.

A reference often names its act by number and year only ("d.lgs. 179/2016"), while a link to
the act needs its date ("26 agosto 2016"). Documents usually write the full form somewhere
("decreto legislativo 26 agosto 2016, n. 179"): the date of an act is the one its stored
references write most often, among those of the act's own year (a date of another year is
a misreading, not the act's). Ties go to the date met first. The acts known by a common
name ("codice civile", "TUEL": `ingest.acts.KNOWN_DATES`) have their date whatever the
documents write.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from ingest.acts import KNOWN_DATES
from ingest.version import written_dates


def written_date(text: str, act: str) -> str | None:
    """The ISO date written in a reference's words for act key `act` ('dlgs:179/2016'), when
    it is of the act's year; None otherwise."""
    year = act.rpartition("/")[2]
    return next((day for day in written_dates(text) if day[:4] == year), None)


def act_dates(references: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Act key -> ISO date, from (act key, reference text) pairs: each act's most written
    date of its own year, and the known dates of the acts with a common name."""
    seen: dict[str, Counter[str]] = {}
    for act, text in references:
        found = written_date(text, act) if act else None
        if found:
            seen.setdefault(act, Counter())[found] += 1
    return {**{act: counts.most_common(1)[0][0] for act, counts in seen.items()}, **KNOWN_DATES}
