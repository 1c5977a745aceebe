"""A coordinator names the right passage of an answer officials voted 👎
(`raccordo feedback review`).

`raccordo feedback export` writes those answers to `F.da-rivedere.jsonl` with `relevant` empty:
the answer cited the wrong passages and the right one is unknown. For each entry still to
review, the coordinator sees the question, what officials wrote with their votes, and the first
passages our search finds, each by the sentence an answer would quote from it (the passages the
voted answer cited are marked). The pick becomes the entry's `relevant` (file, locator, and that
sentence as evidence, checked against the passage with the question sets' own rule); "the
sources do not answer it" makes it a `no_answer` question, the near miss that abstention is
calibrated on. Either way the entry is marked `reviewed`, a later export keeps it as it is, and
`python -m training.data --questions` trains on it, with the wrong citations as hard negatives.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.answers.models import Citation
from bot.app.feedback import entry_id, evidence_of
from bot.errors import BadRequest
from index.evaluation import Question, Relevant, is_relevant, load_questions
from index.models import Hit

REVIEWED = "reviewed"  # set on a reviewed entry: PASSAGE or NO_ANSWER
REVIEWED_AT = "reviewed_at"  # when (epoch seconds): the later of two decisions wins
PASSAGE = "passage"
NO_ANSWER = "no_answer"

Entry = dict[str, Any]


@dataclass(frozen=True)
class Candidate:
    """A passage the coordinator may pick: its citation (best sentence) and whether the
    answer voted 👎 cited it."""

    hit: Hit
    citation: Citation
    wrong: bool


def read_entries(path: Path) -> list[Entry]:
    """The entries of a review file; BadRequest (in Italian) naming the first bad line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise BadRequest(f"Il file {path} non esiste: crearlo con 'raccordo feedback "
                         "export'.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadRequest(f"Non riesco a leggere {path}: {exc}") from None
    entries: list[Entry] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            raise BadRequest(f"{path}, riga {number}: non è JSON valido.") from None
        if not (isinstance(entry, dict) and isinstance(entry.get("id"), str)
                and isinstance(entry.get("question"), str)):
            raise BadRequest(f"{path}, riga {number}: manca 'id' o 'question'.")
        entries.append(entry)
    return entries


def is_pending(entry: Mapping[str, Any]) -> bool:
    """True while nobody has named the entry's right passage or declared it unanswerable."""
    return not entry.get(REVIEWED) and not entry.get("relevant")


def decided_questions(path: Path) -> list[Question]:
    """The questions of an exported or reviewed file, without the entries still to review
    (whose empty `relevant` does not yet mean "not in the sources")."""
    pending = {str(e["id"]) for e in read_entries(path) if is_pending(e) and "cited" in e}
    return [q for q in load_questions(path) if q.id not in pending]


def cited_question(entry: Entry) -> Question:
    """The entry's wrong citations as a question whose relevant passages they are (so the
    question sets' rule finds the cited passages among any hits)."""
    cited = entry.get("cited") or []
    return Question(id=str(entry["id"]), question=str(entry["question"]),
                    relevant=tuple(Relevant(file=str(c["file"]), evidence=str(c["quote"]),
                                            locator=str(c.get("locator", "")))
                                   for c in cited if c.get("file") and c.get("quote")))


def candidates(entry: Entry, hits: Sequence[Hit], citations: Sequence[Citation]
               ) -> list[Candidate]:
    """The hits to choose from, each with its citation, those the voted answer cited marked."""
    wrong = cited_question(entry)
    return [Candidate(hit, citation, is_relevant(wrong, hit))
            for hit, citation in zip(hits, citations, strict=True)]


def with_passage(entry: Entry, candidate: Candidate, at: float | None = None) -> Entry:
    """The entry with the picked passage as its relevant one (decided at `at`)."""
    return decided(entry, PASSAGE, [relevant_of(candidate.hit, candidate.citation)], at)


def relevant_of(hit: Hit, citation: Citation) -> dict[str, str]:
    """A picked passage as a question set's relevant entry: file, locator, and as evidence the
    citation's quote cut to the sets' 25 words (the passage's opening, should the sets' own
    rule not find the quote in it)."""
    evidence = evidence_of(citation.quote)
    picked = Question(id="", question="", relevant=(Relevant(citation.file, evidence),))
    if not is_relevant(picked, hit):  # a quote always passes; the rule is the judge
        evidence = evidence_of(hit.chunk.text)
    return {"file": citation.file, "locator": citation.locator, "evidence": evidence}


def decided(entry: Entry, decision: str, relevant: Sequence[Mapping[str, str]],
            at: float | None = None) -> Entry:
    """The entry as a coordinator decided it (at `at`): its right passage, or no answer."""
    if decision == NO_ANSWER:
        return without_answer(entry, at)
    when = {} if at is None else {REVIEWED_AT: at}
    return {**entry, "relevant": [dict(r) for r in relevant], REVIEWED: PASSAGE, **when}


def without_answer(entry: Entry, at: float | None = None) -> Entry:
    """The entry declared unanswerable from the corpus (at `at`): a `no_answer` question."""
    when = {} if at is None else {REVIEWED_AT: at}
    return {**entry, "type": "no_answer", "answer": "non presente", "relevant": [],
            REVIEWED: NO_ANSWER, **when}


def with_decisions(entries: Sequence[Entry],
                   decisions: Mapping[int, tuple[str, list[dict[str, str]], float]]
                   ) -> list[Entry]:
    """Exported entries with the decisions taken on the review page (`AppDB.reviews`, by
    question id) applied."""
    by_id = {entry_id(qid): d for qid, d in decisions.items()}
    return [decided(e, *by_id[str(e["id"])]) if str(e["id"]) in by_id else e for e in entries]


def merged(previous: Sequence[Entry], fresh: Sequence[Entry]) -> list[Entry]:
    """A new export's entries to review, where every entry already reviewed (by id) stays
    as the coordinator left it unless the new export carries a later decision on it (taken
    on the review page), and reviewed entries no longer exported are kept too: a
    coordinator's work is never overwritten."""
    done = {str(e["id"]): e for e in previous if not is_pending(e)}
    out: list[Entry] = []
    for entry in fresh:
        kept = done.pop(str(entry["id"]), None)
        if kept is None or (not is_pending(entry) and _when(entry) > _when(kept)):
            kept = entry
        out.append(kept)
    return out + list(done.values())


def _when(entry: Mapping[str, Any]) -> float:
    """When the entry was decided (0 for an entry filled by hand or before the timestamp)."""
    value = entry.get(REVIEWED_AT)
    return float(value) if isinstance(value, int | float) else 0.0


def tally(entries: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """How many entries have their passage, are unanswerable, are still to review."""
    kinds = ["pending" if is_pending(e) else str(e.get(REVIEWED) or PASSAGE) for e in entries]
    return {PASSAGE: kinds.count(PASSAGE), NO_ANSWER: kinds.count(NO_ANSWER),
            "pending": kinds.count("pending")}
