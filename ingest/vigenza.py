"""In force or not: Normattiva's repeal notices and amendment marks in a chunk's parts.

Normattiva replaces a repealed provision by a notice in capitals, often between `((` `))`:
`((ARTICOLO ABROGATO DAL D.LGS. 14 MARZO 2013, N. 33))`, `3. COMMA ABROGATO DALLA L. ...`,
`- a) ((LETTERA ABROGATA DAL D.L. ...));`; words added or replaced by amendments stand between
`((` and `))`. Rules:
- an article holding an ARTICOLO ABROGATO notice is not in force, in every chunk;
- a chunk whose parts are only repeal notices (besides headings and AGGIORNAMENTO notes) is not
  in force; its note is the notice's text;
- otherwise the chunk is in force, and `repealed` names the repealed parts it still shows
  ("comma 3", "lett. a)", "periodo", "numero").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_WHAT = r"ARTICOLO|COMMA|LETTERA|NUMERO|PERIODO|CAPO|TITOLO|SEZIONE|PARTE"
_NOTICE = re.compile(rf"(?P<what>{_WHAT})\s+ABROGAT[OA](?:\s+[^a-zà-ÿ]*)?")
_INLINE = re.compile(rf"\b(?P<what>{_WHAT})\s+ABROGAT[OA]\b")
_MARKS = re.compile(r"\(\(\s*\d*\s*\)\)|\(\d+\)|\(\(|\)\)")
_LEAD = re.compile(r"^\s*(?:[-*•]\s+)?(?:(?P<num>\d{1,3}(?:\s*-\s*[a-z]+)?)\s*\."
                   r"|(?P<let>[a-z]{1,3}(?:-[a-z]+)?)\))?")
_NOTE_START = re.compile(r"-{3,}|\bAGGIORNAMENTO\s*\(\d+\)")
_AMENDED = re.compile(r"\(\((?!\s*\d+\s*\)\))\s*\S")


@dataclass(frozen=True)
class Notice:
    """A repeal notice: what was repealed ('COMMA'), its number or letter, the note."""

    what: str
    number: str | None
    note: str

    def label(self) -> str:
        """'comma 3', 'lett. a)', 'articolo'."""
        if self.what == "COMMA" and self.number:
            return f"comma {self.number}"
        if self.what == "LETTERA" and self.number:
            return f"lett. {self.number})"
        return self.what.lower()


@dataclass(frozen=True)
class Vigenza:
    """The in-force state of a chunk."""

    vigente: bool = True
    note: str | None = None
    repealed: tuple[str, ...] = ()
    amended: bool = False


_NOTE_NUMBER = re.compile(r"\(\(\s*\d+\s*\)\)")


def amendment_marked(text: str) -> bool:
    """True when `text` holds Normattiva's marks of words changed by amendments, "((...))",
    or one end of them (a quote may begin or end inside a marked span); the note numbers
    "((1))" are not such marks."""
    bare = _NOTE_NUMBER.sub(" ", text)
    return "((" in bare or "))" in bare


def repeal_message(note: str | None) -> str:
    """Italian notice for a provision not in force: 'non in vigore: articolo abrogato dal ...'."""
    if not note:
        return "non in vigore: disposizione abrogata"
    return "non in vigore: " + " ".join(note.split()).lower()


def _body(text: str) -> str:
    """The text before any amendment note ('--------------- AGGIORNAMENTO (69) ...')."""
    match = _NOTE_START.search(text)
    return text[:match.start()] if match else text


def repeal_notice(text: str) -> Notice | None:
    """The notice when `text` is nothing but a repeal notice (with its number), else None."""
    body = _MARKS.sub(" ", _body(text))
    lead = _LEAD.match(body)
    number = None
    if lead is not None:
        number = lead.group("num") or lead.group("let")
        body = body[lead.end():]
    body = " ".join(body.split()).strip(" .;,")
    match = _NOTICE.fullmatch(body)
    if match is None:
        return None
    number = re.sub(r"\s+", "", number) if number else None
    return Notice(match.group("what"), number, body)


def is_note(text: str) -> bool:
    """True for an amendment note block ('--------------- AGGIORNAMENTO (69) ...')."""
    return _NOTE_START.match(text.strip()) is not None


def article_repeal(parts: Sequence[str]) -> str | None:
    """The note of an ARTICOLO ABROGATO notice among an article's parts, else None."""
    for text in parts:
        notice = repeal_notice(text)
        if notice is not None and notice.what == "ARTICOLO":
            return notice.note
    return None


def chunk_vigenza(parts: Sequence[str], headings: Sequence[str] = (),
                  article_note: str | None = None) -> Vigenza:
    """The state of a chunk from its body parts, heading parts and its article's repeal."""
    notices: list[Notice] = []
    inline: list[str] = []
    substantive = False
    for text in [*headings, *parts]:
        notice = repeal_notice(text)
        if notice is not None:
            notices.append(notice)
            continue
        if text in headings or is_note(text) or not _MARKS.sub("", text).strip():
            continue
        substantive = True
        inline.extend(m.group("what").lower() for m in _INLINE.finditer(_body(text)))
    amended = any(_AMENDED.search(_body(t)) for t in [*headings, *parts]
                  if repeal_notice(t) is None)
    if article_note is not None:
        return Vigenza(False, article_note, (), amended)
    if notices and not substantive:
        note = "; ".join(dict.fromkeys(n.note for n in notices))
        return Vigenza(False, note, (), amended)
    labels = [n.label() for n in notices] + inline
    return Vigenza(True, None, tuple(dict.fromkeys(labels)), amended)
