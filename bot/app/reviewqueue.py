"""The answers officials voted 👎, reviewed by a network coordinator on the page (/revisione).

The same decisions as `raccordo feedback review` (bot/app/review.py), kept in the application
database instead of a file, so that a coordinator needs only a browser and an admin key: for
each answer voted 👎 whose question text was kept, the coordinator names the passage that
answers it, or declares that the sources do not. `raccordo feedback export` applies them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.answers.models import Citation
from bot.app.appdb import AppDB
from bot.app.feedback import entry_id, training_questions
from bot.app.review import (
    NO_ANSWER,
    PASSAGE,
    Candidate,
    Entry,
    candidates,
    is_pending,
    relevant_of,
    tally,
    with_decisions,
)
from bot.errors import BadRequest, NotFound
from index.models import Filters, Hit
from ingest.storeapi import DocumentStore

if TYPE_CHECKING:
    from bot.app.service import Raccordo

Search = Callable[[str, int, Filters], list[Hit]]
Cite = Callable[[str, Hit, int], Citation]


class ReviewQueue:
    """The answers voted 👎 and the coordinator's decisions on them."""

    def __init__(self, appdb: AppDB, store: DocumentStore, search: Search, cite: Cite) -> None:
        self._appdb = appdb
        self._store = store
        self._search = search
        self._cite = cite

    def entries(self) -> list[Entry]:
        """Every answer voted 👎 (in the export's format), with the decisions taken so far."""
        exported = training_questions(self._appdb.voted_answers()).to_review
        return with_decisions(exported, self._appdb.reviews())

    def pending(self) -> list[Entry]:
        """The answers voted 👎 still waiting for a decision, oldest first."""
        return [e for e in self.entries() if is_pending(e)]

    def counts(self) -> dict[str, int]:
        """How many answers have their passage, are unanswerable, are still to review."""
        return tally(self.entries())

    def entry(self, question_id: int) -> Entry:
        """One answer voted 👎; NotFound when the log has no such answer with its text."""
        wanted = entry_id(question_id)
        for e in self.entries():
            if e["id"] == wanted:
                return e
        raise NotFound(f"Nessuna risposta con 👎 da rivedere con il numero {question_id}.")

    def candidates(self, entry: Entry, query: str, k: int) -> list[Candidate]:
        """The first passages an answer to `query` would read (law in force, as answers quote
        it), each with the sentence it would quote; those the voted answer cited are marked."""
        hits = self._search(query, k, Filters(vigente=True))
        return candidates(entry, hits, [self._cite(query, h, n)
                                        for n, h in enumerate(hits, start=1)])

    def pick(self, question_id: int, chunk_id: int, query: str | None, actor: str) -> None:
        """Record the passage `chunk_id` as the right one (its evidence: the sentence an answer
        to `query`, by default the question itself, would quote from it)."""
        entry = self.entry(question_id)
        stored = self._store.chunks_by_ids([chunk_id]).get(chunk_id)
        if stored is None:
            raise BadRequest(f"Il passo {chunk_id} non è nella base di conoscenza: forse il "
                             "documento è stato aggiornato. Ripeti la ricerca.")
        hit = Hit(rank=1, score=0.0, chunk=stored.chunk, document=stored.document)
        relevant = relevant_of(hit, self._cite(query or str(entry["question"]), hit, 1))
        self._appdb.save_review(question_id, decision=PASSAGE, relevant=[relevant],
                                decided_by=actor)
        self._appdb.audit(actor, "review", question_id=question_id, decision=PASSAGE,
                          file=relevant["file"], locator=relevant["locator"])

    def decline(self, question_id: int, actor: str) -> None:
        """Record that the sources do not answer the question (a `no_answer` question)."""
        self.entry(question_id)
        self._appdb.save_review(question_id, decision=NO_ANSWER, relevant=[], decided_by=actor)
        self._appdb.audit(actor, "review", question_id=question_id, decision=NO_ANSWER)

    def next_after(self, question_id: int, wrap: bool = True) -> int | None:
        """The next answer still to review after `question_id` (with `wrap`, else the first
        one), or None."""
        ids = [question_of(e) for e in self.pending()]
        later = [i for i in ids if i > question_id] or (ids if wrap else [])
        return later[0] if later else None


def question_of(entry: Entry) -> int:
    """The question-log id of an exported entry (`fb-12` -> 12)."""
    return int(str(entry["id"]).removeprefix("fb-"))


def review_queue(service: Raccordo, appdb: AppDB | None = None) -> ReviewQueue:
    """The review queue of a deployment: its store, search and quotes, and its application
    database (or `appdb`, the one a front door was given)."""
    return ReviewQueue(appdb or service.appdb, service.store,
                       lambda q, k, f: service.search(q, k=k, filters=f),
                       service.answerer.cite)
