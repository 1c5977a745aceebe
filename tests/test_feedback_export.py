"""Officials' votes as training questions: the rules of `bot.app.feedback`, the question log
of an older SQLite file, and `raccordo feedback export` end to end."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from bot.app.appdb import AppDB
from bot.app.feedback import EVIDENCE_WORDS, review_path, training_questions
from bot.cli.main import app
from index.evaluation import load_questions

QUOTE = " ".join(f"parola{i}" for i in range(40))
CITED = json.dumps([{"file": "corpus/tuel.md", "locator": "art. 107, comma 3", "quote": QUOTE},
                    {"file": "corpus/l241.md", "locator": "art. 2", "quote": "altro"}])


def test_only_answers_voted_up_and_never_down_are_exported() -> None:
    rows = [(1, "Chi nomina i dirigenti?", CITED, 1, None),
            (2, "Chi approva il bilancio?", CITED, 1, None),
            (2, "Chi approva il bilancio?", CITED, -1, "È l'art. 42, non il 107"),
            (2, "Chi approva il bilancio?", CITED, -1, "Scrivetemi: mario.rossi@comune.it"),
            (3, "Domanda senza fonti?", "[]", 1, None)]
    export = training_questions(rows)
    (question,) = export.questions
    assert question["id"] == "fb-1" and question["question"] == "Chi nomina i dirigenti?"
    (relevant,) = question["relevant"]  # type: ignore[misc]
    assert relevant["file"] == "corpus/tuel.md" and relevant["locator"] == "art. 107, comma 3"
    assert relevant["evidence"].split() == QUOTE.split()[:EVIDENCE_WORDS]
    (review,) = export.to_review  # voted down once: a coordinator names the right passage
    assert review["id"] == "fb-2" and review["relevant"] == []
    assert review["cited"] == json.loads(CITED) and export.uncited == 1
    assert review["comments"][0] == "È l'art. 42, non il 107"  # what the official wrote
    assert "mario.rossi" not in review["comments"][1]  # scrubbed, as logged questions are


def test_an_older_question_log_gains_the_cited_column(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "raccordo.db", check_same_thread=False)
    conn.execute("CREATE TABLE questions (id INTEGER PRIMARY KEY AUTOINCREMENT, ts REAL NOT"
                 " NULL, channel TEXT NOT NULL, abstained INTEGER NOT NULL, citations INTEGER"
                 " NOT NULL DEFAULT 0, cited_docs TEXT NOT NULL DEFAULT '[]', terms TEXT NOT"
                 " NULL DEFAULT '[]', question TEXT)")
    conn.execute("INSERT INTO questions(ts, channel, abstained, question) VALUES"
                 " (1, 'api', 0, 'Domanda di prima?')")
    conn.commit()
    db = AppDB(conn)
    db.add_feedback(channel="api", vote=1, question_id=1)
    assert db.voted_answers() == [(1, "Domanda di prima?", "[]", 1, None)]  # nothing cited
    qid = db.log_question(channel="api", abstained=False, cited_docs=[1], terms=[],
                          question="Nuova?", cited=json.loads(CITED))
    db.add_feedback(channel="api", vote=1, question_id=qid)
    assert json.loads(db.voted_answers()[-1][2])[0]["locator"] == "art. 107, comma 3"
    AppDB(conn)  # opening again adds nothing twice
    conn.close()


def test_the_cli_exports_what_officials_approved(fresh_service: object, tmp_path: Path
                                                 ) -> None:
    service = fresh_service
    answer = service.ask("Chi approva il piano strategico metropolitano?")  # type: ignore[attr-defined]
    qid = service.appdb.log_answer(answer, "telegram", log_questions=True)  # type: ignore[attr-defined]
    service.appdb.add_feedback(channel="telegram", vote=1, question_id=qid)  # type: ignore[attr-defined]
    wrong = service.ask("Quali sono le zone omogenee?")  # type: ignore[attr-defined]
    down = service.appdb.log_answer(wrong, "telegram", log_questions=True)  # type: ignore[attr-defined]
    service.appdb.add_feedback(channel="telegram", vote=-1, question_id=down)  # type: ignore[attr-defined]
    out = tmp_path / "nuove" / "domande.jsonl"
    data_dir = service.settings.data_dir  # type: ignore[attr-defined]
    result = CliRunner().invoke(app, ["--data-dir", str(data_dir), "feedback", "export",
                                      str(out)])
    assert result.exit_code == 0, result.output
    assert "Esportata 1 domanda con" in result.output
    assert "training.data --questions" in result.output
    (question,) = load_questions(out)
    assert question.question.startswith("Chi approva il piano strategico")
    assert question.relevant[0].file == answer.citations[0].file
    (review,) = load_questions(review_path(out))  # unanswerable until a coordinator fills it
    assert review.question == "Quali sono le zone omogenee?" and not review.answerable
    assert "1 risposta con 👎" in result.output


def test_the_cli_says_why_nothing_was_exported(fresh_service: object, tmp_path: Path) -> None:
    data_dir = fresh_service.settings.data_dir  # type: ignore[attr-defined]
    out = tmp_path / "vuoto.jsonl"
    result = CliRunner().invoke(app, ["--data-dir", str(data_dir), "feedback", "export",
                                      str(out)])
    assert result.exit_code == 0, result.output
    assert "Esportate 0 domande" in result.output
    assert "RACCORDO_LOG_QUESTIONS=true" in result.output
    assert out.read_text(encoding="utf-8") == ""
    assert review_path(out).read_text(encoding="utf-8") == ""
    assert review_path(out).name == "vuoto.da-rivedere.jsonl"


def test_with_logging_off_no_cited_passage_is_kept(fresh_service: object) -> None:
    service = fresh_service
    answer = service.ask("Chi approva il piano strategico metropolitano?")  # type: ignore[attr-defined]
    assert answer.citations
    db = service.appdb  # type: ignore[attr-defined]
    off = db.log_answer(answer, "api", log_questions=False)
    on = db.log_answer(answer, "api", log_questions=True)
    for qid in (off, on):
        db.add_feedback(channel="api", vote=1, question_id=qid)
    rows = {r[0]: r for r in db.question_rows()}
    assert rows[off][7] is None and json.loads(rows[off][8]) == []
    assert json.loads(rows[on][8])[0]["quote"] == answer.citations[0].quote
    assert [r[0] for r in db.voted_answers()] == [on]


def test_a_followup_is_logged_as_it_was_understood(fresh_service: object) -> None:
    from bot.answers.models import Turn

    service = fresh_service
    first = "Come funziona la centrale unica di committenza a Torino?"
    answer = service.ask("E a Napoli?", history=[Turn(first)])  # type: ignore[attr-defined]
    assert answer.rewritten_question
    db = service.appdb  # type: ignore[attr-defined]
    on = db.log_answer(answer, "telegram", log_questions=True)
    off = db.log_answer(answer, "telegram", log_questions=False)
    rows = {r[0]: r for r in db.question_rows()}
    # the whole question that was answered, not the fragment: a coordinator reviews it and
    # training learns from it without the conversation around it
    assert rows[on][7] == answer.rewritten_question
    assert {"central", "napol"} <= set(json.loads(rows[on][6]))  # the topic counts in gaps
    assert rows[off][7] is None and json.loads(rows[off][6]) == []  # logging off: nothing

