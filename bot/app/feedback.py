"""Officials' votes turned into training questions (`raccordo feedback export`).

An answer voted 👍 is a question an official really asked, with the passage that answered it:
the data our ranking model lacks most (docs/ranker.md). Each such answer becomes one question
in the eval sets' format (`../shared/eval/README.md`): the logged question text, and as its
relevant passage the first citation (the answer's most confident one), its quote cut to the
sets' 25-word evidence. Only questions whose text was kept (`RACCORDO_LOG_QUESTIONS=true`,
scrubbed of personal data) can be exported. An answer voted 👎 by anyone is not trained on as
it is: its citations were wrong and the right passage is unknown. It goes to a second file for
a coordinator to review, in the same format with `relevant` empty, the wrong citations under
`cited` and what officials wrote with their votes ("cosa mancava?", scrubbed of personal data
like the questions) under `comments`. Once the coordinator names the right passage (`raccordo
feedback review`, bot/app/review.py), the question trains like the others (until then it
counts as unanswerable, and training skips it). `python -m training.data --questions FILE` trains on
either file.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.app.privacy import scrub

EVIDENCE_WORDS = 25  # the question sets' evidence excerpts run to 25 words


@dataclass(frozen=True)
class FeedbackExport:
    """The questions to train on, and how many voted answers were left out and why."""

    questions: list[dict[str, object]]
    to_review: list[dict[str, object]]  # answers with a 👎: wrong citations, right passage unknown
    uncited: int  # answers voted 👍 that cited nothing (an abstention)


def training_questions(rows: Iterable[Sequence[Any]]) -> FeedbackExport:
    """One eval-format question per answer voted 👍 and never 👎, and one to review per answer
    voted 👎 (rows of `AppDB.voted_answers`: question id, text, cited passages as JSON, vote,
    comment)."""
    votes: dict[int, list[int]] = defaultdict(list)
    comments: dict[int, list[str]] = defaultdict(list)
    logged: dict[int, tuple[str, list[dict[str, str]]]] = {}
    for qid, text, cited, vote, comment in rows:
        votes[int(qid)].append(int(vote))
        if comment:
            comments[int(qid)].append(scrub(str(comment)))  # as a logged question is
        logged[int(qid)] = (str(text), json.loads(cited or "[]"))
    questions: list[dict[str, object]] = []
    to_review: list[dict[str, object]] = []
    uncited = 0
    for qid, (text, cited) in sorted(logged.items()):
        if min(votes[qid]) < 0:
            to_review.append({"id": entry_id(qid), "type": "feedback", "persona": "official",
                              "question": text, "answer": "", "relevant": [], "cited": cited,
                              "comments": comments[qid]})
        elif not cited:
            uncited += 1
        else:
            first = cited[0]
            questions.append({"id": entry_id(qid), "type": "feedback", "persona": "official",
                              "question": text, "answer": "",
                              "relevant": [{"file": first["file"], "locator": first["locator"],
                                            "evidence": evidence_of(first["quote"])}]})
    return FeedbackExport(questions, to_review, uncited)


def entry_id(question_id: int) -> str:
    """The id of an exported question: `fb-` and its id in the question log."""
    return f"fb-{question_id}"


def evidence_of(text: str) -> str:
    """The opening of `text` as a question set's evidence: its first 25 words."""
    return " ".join(text.split()[:EVIDENCE_WORDS])


def review_path(path: Path) -> Path:
    """Where the answers to review go, beside `path`: domande.jsonl -> domande.da-rivedere.jsonl."""
    return path.with_name(f"{path.stem}.da-rivedere{path.suffix or '.jsonl'}")


def write_questions(path: Path, questions: Sequence[dict[str, object]]) -> None:
    """Write JSONL atomically: a reader never sees half a file, an old file stays on error."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for q in questions:
                fh.write(json.dumps(q, ensure_ascii=False) + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
