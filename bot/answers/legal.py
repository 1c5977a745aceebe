"""What legal staff need beside a quote: the provisions it cites, and what is no longer law.

A cited provision the knowledge base holds opens there; one it does not hold links its act's
public text (Normattiva or EUR-Lex, `ingest.links.act_link`), dated from how the knowledge
base's own documents cite that act (`ingest.actdates`), so that an official can still check it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

from bot.answers.citations import locator_text
from bot.answers.models import Answer
from index.models import Hit
from ingest.acts import act_spans, act_title
from ingest.links import act_link
from ingest.storetypes import ResolvedReference
from ingest.vigenza import repeal_message


class ReferenceSource(Protocol):
    """What resolving references needs (ingest.store.Store satisfies it)."""

    def references(self, chunk_ids: Sequence[int]) -> dict[int, list[ResolvedReference]]:
        """The references of the given chunks, each resolved to the chunk it cites."""
        ...

    def act_dates(self) -> dict[str, str]:
        """Act key -> ISO date, as the stored references write it."""
        ...

    def version(self) -> int:
        """A counter bumped by every change."""
        ...


class ActLinks:
    """`dates()`: the dates of the acts the knowledge base cites, read again when the store's
    version changes."""

    def __init__(self, store: ReferenceSource) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._dates: tuple[int, dict[str, str]] | None = None

    def dates(self) -> dict[str, str]:
        """Act key -> ISO date (`ingest.actdates`), as of the store's current version."""
        version = self.store.version()
        with self._lock:
            if self._dates is None or self._dates[0] != version:
                self._dates = (version, self.store.act_dates())
            return self._dates[1]


def outside_link(ref: ResolvedReference, dates: dict[str, str]) -> str | None:
    """The public text of a provision outside the knowledge base; None for one inside it (it
    opens there) or an act that cannot be linked (no known date, a ministerial decree)."""
    if ref.in_store or not ref.reference.act:
        return None
    return act_link(ref.reference.act, dates.get(ref.reference.act), ref.reference.article)


def reference_name(ref: ResolvedReference) -> str:
    """The reference as an official reads it: its words, and its act when they do not name it
    ("articolo 51" of "del Regolamento", a name the citing act gave: "articolo 51, Reg. UE
    2016/679", as a formal citation puts it)."""
    r = ref.reference
    text = " ".join(r.text.split())
    if r.same_act or not r.act or act_spans(text):
        return text
    return f"{text}, {act_title(r.act)}"


def legal_context(answer: Answer, store: ReferenceSource, repealed: Sequence[Hit] = (),
                  links: ActLinks | None = None) -> Answer:
    """The answer with each citation's resolved references (with `url`, the public text of
    those outside the knowledge base) and a notice for repealed provisions the question named
    (they are never quoted as law in force)."""
    refs = store.references([c.chunk_id for c in answer.citations]) if answer.citations else {}
    outside = any(not r.in_store for found in refs.values() for r in found)
    dates = (links or ActLinks(store)).dates() if outside else {}
    citations = tuple(
        replace(c, references=tuple({**r.to_json(), "url": outside_link(r, dates),
                                     "name": reference_name(r)}
                                    for r in refs.get(c.chunk_id, [])
                                    if r.reference.text in c.quote))
        for c in answer.citations)
    notices = repeal_notices(repealed)
    text = answer.text + ("\n\n" + "\n".join(notices) if notices else "")
    return replace(answer, citations=citations, text=text,
                   notes=answer.notes + tuple(notices))


def repeal_notices(hits: Sequence[Hit]) -> list[str]:
    """'Nota: D.Lgs. 267/2000 (TUEL), art. 22 non in vigore: articolo abrogato dal …'."""
    seen: list[str] = []
    for hit in hits:
        line = f"Nota: {locator_text(hit)} — {repeal_message(hit.chunk.repeal_note)}."
        if line not in seen:
            seen.append(line)
    return seen
