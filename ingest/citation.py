"""Formal Italian citations of a chunk, to paste into an act.

"art. 107, comma 3, d.lgs. 18 agosto 2000, n. 267"; "art. 14-bis, l. 7 agosto 1990, n. 241";
"art. 117, secondo comma, Cost."; "art. 6, par. 1, reg. (UE) 2016/679". The act's date comes
from the document title ("D.Lgs. 18 agosto 2000, n. 267 - ..."); without it the act is cited by
number and year ("d.lgs. n. 267/2000"). Documents that are no act have no formal citation.
"""

from __future__ import annotations

import re

from ingest.models import DocumentMeta, Locator

_ABBREVIATIONS = {"dlgs": "d.lgs.", "legge": "l.", "dpr": "d.P.R.", "dl": "d.l.",
                  "dpcm": "d.P.C.M.", "dm": "d.m.", "rd": "r.d.", "lcost": "l. cost."}
_MONTHS = ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
           "settembre", "ottobre", "novembre", "dicembre")
_DATE = re.compile(rf"\b(?P<day>\d{{1,2}})°?\s+(?P<month>{'|'.join(_MONTHS)})\s+(?P<year>\d{{4}})",
                   re.I)
_ORDINALS = ("primo", "secondo", "terzo", "quarto", "quinto", "sesto", "settimo", "ottavo",
             "nono", "decimo")


def act_citation(act: str, title: str = "") -> str:
    """The formal name of an act key: 'd.lgs. 18 agosto 2000, n. 267' (date from `title`)."""
    if act == "costituzione":
        return "Cost."
    kind, _, rest = act.partition(":")
    number, _, year = rest.partition("/")
    if kind == "reg-ue":
        return f"reg. (UE) {number}/{year}"  # keys of EU regulations are "year/number"
    name = _ABBREVIATIONS.get(kind, kind)
    date = next((m for m in _DATE.finditer(title) if m.group("year") == year), None)
    if date is None:
        return f"{name} n. {number}/{year}"
    day = "1°" if date.group("day") in ("1", "01") else str(int(date.group("day")))
    return f"{name} {day} {date.group('month').lower()} {year}, n. {number}"


def _commi(commi: tuple[str, ...], act: str) -> str | None:
    if not commi:
        return None
    if act == "costituzione" and len(commi) == 1 and commi[0].isdigit() \
            and 0 < int(commi[0]) <= len(_ORDINALS):
        return f"{_ORDINALS[int(commi[0]) - 1]} comma"
    word = "par." if act.startswith("reg-ue") else "comma"
    if len(commi) == 1:
        return f"{word} {commi[0]}"
    word = "parr." if word == "par." else "commi"
    if len(commi) == 2:
        return f"{word} {commi[0]} e {commi[1]}"
    return f"{word} da {commi[0]} a {commi[-1]}"


def provision_citation(act: str, title: str, article: str | None,
                       commi: tuple[str, ...] = (), letters: tuple[str, ...] = ()) -> str:
    """'art. 107, comma 3, lett. a), d.lgs. 18 agosto 2000, n. 267' (parts that are known)."""
    parts: list[str] = []
    if article:
        parts.append(f"art. {article}")
        comma = _commi(commi, act)
        if comma:
            parts.append(comma)
        if len(letters) == 1:
            parts.append(f"lett. {letters[0]})")
        elif letters:
            parts.append(f"lett. da {letters[0]}) a {letters[-1]})")
    parts.append(act_citation(act, title))
    return ", ".join(parts)


def formal_citation(locator: Locator, meta: DocumentMeta) -> str | None:
    """The formal citation of a chunk of an act; None when the document is no act."""
    if not meta.act:
        return None
    return provision_citation(meta.act, meta.title, locator.article, locator.commi,
                              locator.letters)
