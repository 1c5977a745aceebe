"""What legal staff need beside a quote: the provisions it cites, and what is no longer law."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

from bot.answers.citations import locator_text
from bot.answers.models import Answer
from index.models import Hit
from ingest.storetypes import ResolvedReference
from ingest.vigenza import repeal_message


class ReferenceSource(Protocol):
    """What resolving references needs (ingest.store.Store satisfies it)."""

    def references(self, chunk_ids: Sequence[int]) -> dict[int, list[ResolvedReference]]:
        """The references of the given chunks, each resolved to the chunk it cites."""
        ...


def legal_context(answer: Answer, store: ReferenceSource, repealed: Sequence[Hit] = ()
                  ) -> Answer:
    """The answer with each citation's resolved references and a notice for repealed
    provisions the question named (they are never quoted as law in force)."""
    refs = store.references([c.chunk_id for c in answer.citations]) if answer.citations else {}
    citations = tuple(
        replace(c, references=tuple(r.to_json() for r in refs.get(c.chunk_id, [])
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
