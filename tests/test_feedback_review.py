"""A coordinator reviews answers voted 👎 (`raccordo feedback review`): the rules of
`bot.app.review`, the command end to end on a real data directory, a later export keeping the
work, and training reading the wrong citations as hard negatives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from api_helpers import voted_down
from typer.testing import CliRunner

from bot.app.feedback import review_path, write_questions
from bot.app.review import (
    NO_ANSWER,
    PASSAGE,
    REVIEWED,
    REVIEWED_AT,
    decided,
    is_pending,
    merged,
    read_entries,
    tally,
    without_answer,
)
from bot.cli.main import app
from bot.errors import BadRequest
from index.evaluation import is_relevant, load_questions

QUESTION = "Chi approva il bilancio della città metropolitana?"


def entry(qid: str, **extra: object) -> dict[str, object]:
    """A review-file entry as `raccordo feedback export` writes it."""
    return {"id": qid, "type": "feedback", "persona": "official", "question": "Domanda?",
            "answer": "", "relevant": [], "cited": [], "comments": [], **extra}


def test_a_later_export_keeps_what_the_coordinator_decided() -> None:
    done = without_answer(entry("fb-1"))
    by_hand = entry("fb-2", relevant=[{"file": "a.md", "locator": "", "evidence": "x"}])
    gone = {**without_answer(entry("fb-9")), "question": "Non più nel registro?"}
    out = merged([done, by_hand, entry("fb-3"), gone],
                 [entry("fb-1"), entry("fb-2"), entry("fb-3", comments=["nuovo"]), entry("fb-4")])
    assert [e["id"] for e in out] == ["fb-1", "fb-2", "fb-3", "fb-4", "fb-9"]
    assert out[0][REVIEWED] == NO_ANSWER and out[0]["type"] == "no_answer"
    assert out[1]["relevant"] == by_hand["relevant"]  # filled by hand: kept too
    assert out[2]["comments"] == ["nuovo"] and is_pending(out[2])  # pending: the new export
    assert tally(out) == {PASSAGE: 1, NO_ANSWER: 2, "pending": 2}


def test_the_later_of_two_decisions_wins() -> None:
    """A decision taken on the review page after the file's (or over an entry filled by hand)
    replaces it at the next export; an older one does not."""
    in_file = without_answer(entry("fb-1"), at=100.0)
    on_page = decided(entry("fb-1"), PASSAGE, [{"file": "a.md", "locator": "", "evidence": "x"}],
                      at=200.0)
    assert merged([in_file], [on_page]) == [on_page]
    assert merged([in_file], [{**on_page, REVIEWED_AT: 50.0}]) == [in_file]
    by_hand = entry("fb-1", relevant=[{"file": "b.md", "locator": "", "evidence": "y"}])
    assert merged([by_hand], [on_page]) == [on_page]
    assert merged([on_page], [entry("fb-1")]) == [on_page]  # a pending export changes nothing


def test_a_bad_review_file_is_refused_in_italian(tmp_path: Path) -> None:
    path = tmp_path / "x.da-rivedere.jsonl"
    with pytest.raises(BadRequest, match="non esiste"):
        read_entries(path)
    path.write_text(json.dumps(entry("fb-1")) + "\n{rotto\n", encoding="utf-8")
    with pytest.raises(BadRequest, match="riga 2: non è JSON valido"):
        read_entries(path)
    path.write_text(json.dumps({"question": "senza id"}) + "\n", encoding="utf-8")
    with pytest.raises(BadRequest, match="riga 1: manca 'id'"):
        read_entries(path)


def test_the_coordinator_names_the_right_passage(fresh_service: object, tmp_path: Path
                                                  ) -> None:
    service = fresh_service
    voted_down(service, QUESTION)
    voted_down(service, "Quali sono le zone omogenee?")
    voted_down(service, "Quanto costa il parcheggio in centro?")
    data_dir = str(service.settings.data_dir)  # type: ignore[attr-defined]
    out = tmp_path / "domande.jsonl"
    runner = CliRunner()
    exported = runner.invoke(app, ["--data-dir", data_dir, "feedback", "export", str(out)])
    assert exported.exit_code == 0, exported.output
    review = review_path(out)
    assert "raccordo feedback review" in exported.output
    # first: passage 2; second: an unknown reply, then skipped; third: not in the sources
    result = runner.invoke(app, ["--data-dir", data_dir, "feedback", "review", str(review),
                                 "--passi", "3"], input="2\nboh\n\n0\n")
    assert result.exit_code == 0, result.output
    assert "Commento: Non è questo il passo" in result.output
    assert "← citato nella risposta con 👎" in result.output  # the wrong citation is marked
    assert "Risposta non valida: 'boh'" in result.output
    assert "1 domanda con il passo giusto, 1 senza risposta nelle fonti, 1 da rivedere" \
        in result.output
    first, skipped, absent = read_entries(review)
    assert first[REVIEWED] == PASSAGE and is_pending(skipped) and absent[REVIEWED] == NO_ANSWER
    (picked,) = first["relevant"]
    hits = service.search(QUESTION, k=3)  # type: ignore[attr-defined]
    (question, _, unanswerable) = load_questions(review)  # the question sets' own format
    assert is_relevant(question, hits[1]) and not unanswerable.answerable
    assert picked["evidence"].split()[0] in hits[1].chunk.text
    # measured on officials' questions: the one still to review is not counted unanswerable
    scored = runner.invoke(app, ["--data-dir", data_dir, "eval", str(review)])
    assert scored.exit_code == 0, scored.output
    assert "(senza risposta nel corpus, escluse: 1)" in scored.output
    assert scored.output.splitlines()[1].split()[:2] == ["tutte", "1"]
    # a new export keeps the coordinator's work; a second review asks only the skipped one
    again = runner.invoke(app, ["--data-dir", data_dir, "feedback", "export", str(out)])
    assert again.exit_code == 0, again.output
    assert read_entries(review)[0] == first
    last = runner.invoke(app, ["--data-dir", data_dir, "feedback", "review", str(review)],
                         input="q\n")
    assert "Domanda 1 di 1" in last.output and "1 da rivedere" in last.output


def test_a_search_with_other_words_and_an_interruption(fresh_service: object, tmp_path: Path
                                                        ) -> None:
    service = fresh_service
    voted_down(service, "Quali sono le zone omogenee?")
    voted_down(service, QUESTION)
    data_dir = str(service.settings.data_dir)  # type: ignore[attr-defined]
    out = tmp_path / "domande.jsonl"
    runner = CliRunner()
    runner.invoke(app, ["--data-dir", data_dir, "feedback", "export", str(out)])
    review = review_path(out)
    # other words, then passage 1 of that search; then the input ends (Ctrl-D)
    result = runner.invoke(app, ["--data-dir", data_dir, "feedback", "review", str(review)],
                           input="?bilancio di previsione approvato dal consiglio\n1\n")
    assert result.exit_code == 0, result.output
    assert "le scelte fatte sono salvate" in result.output
    first, second = read_entries(review)
    assert first[REVIEWED] == PASSAGE and is_pending(second)
    hit = service.search("bilancio di previsione approvato dal consiglio", k=5)[0]  # type: ignore[attr-defined]
    assert is_relevant(load_questions(review)[0], hit)


def test_nothing_to_review(tmp_path: Path) -> None:
    review = tmp_path / "d.da-rivedere.jsonl"
    write_questions(review, [without_answer(entry("fb-1"))])
    result = CliRunner().invoke(app, ["--data-dir", str(tmp_path / "data"), "feedback",
                                      "review", str(review)])
    assert result.exit_code == 0, result.output
    assert "0 domande con il passo giusto, 1 senza risposta nelle fonti, 0 da rivedere" \
        in result.output
    missing = CliRunner().invoke(app, ["--data-dir", str(tmp_path / "data"), "feedback",
                                       "review", str(tmp_path / "nessuno.jsonl")])
    assert missing.exit_code == 3 and "feedback export" in missing.output
    review.write_text('{"id": "q1", "question": "Domanda?", "relevant": []}\n{rotto\n',
                      encoding="utf-8")
    broken = CliRunner().invoke(app, ["--data-dir", str(tmp_path / "data"), "eval",
                                      str(review)])
    assert broken.exit_code == 3 and "riga 2: non è JSON valido" in broken.output
