"""Issue 16, finding 5: no term of a question is kept unless logging is on; scrubbed then."""

from __future__ import annotations

import json

import pytest
from test_abuse_search import serving

from bot.app.privacy import loggable, scrub
from bot.app.service import Raccordo

QUESTION = ("Sono Mario Rossi, CF RSSMRA80A01H501U, tel 3331234567, mail mario.rossi@example.it:"
            " a chi chiedo l'assenso per il trasporto scolastico?")
PERSONAL = ("mario", "rossi", "ross", "mar", "rssmra80", "3331234567", "a01", "example")


def test_with_logging_off_no_term_of_a_question_is_stored(demo_service: Raccordo) -> None:
    with serving(demo_service, rate_limit_api=0) as (service, http):
        answer = http.post("/api/ask", json={"question": QUESTION})
        assert answer.status_code == 200
        row = service.appdb.question_rows()[-1]
        assert row[0] == answer.json()["question_id"]
        assert row[7] is None and json.loads(row[6]) == []
        assert json.loads(row[8]) == []  # nor the passages that would tell its topic
        page = http.get("/", params={"q": QUESTION, "mode": "chiedi"})
        assert json.loads(service.appdb.question_rows()[-1][6]) == []
        assert "Le domande non sono registrate" in page.text
        shown = http.get("/api/stats").text.lower() + http.get("/dashboard").text.lower()
        assert not any(p in shown for p in ("3331234567", "rssmra80", "ross, "))


def test_with_logging_on_personal_data_is_dropped_first(demo_service: Raccordo) -> None:
    with serving(demo_service, rate_limit_api=0, log_questions=True) as (service, http):
        assert http.post("/api/ask", json={"question": QUESTION}).status_code == 200
        row = service.appdb.question_rows()[-1]
        stored = (row[7] + " " + " ".join(json.loads(row[6]))).lower()
        assert "trasporto" in stored and "assens" in stored  # the topic is kept
        assert not any(p in stored for p in PERSONAL), stored
        page = http.get("/")
        assert "dopo aver tolto i dati personali" in page.text


@pytest.mark.parametrize(("text", "gone", "kept"), [
    ("Il sig. Mario Rossi chiede", "Rossi", "chiede"),
    ("la dott.ssa Anna Bianchi e l'avv. Carlo Neri", "Bianchi", "la dott.ssa"),
    ("IBAN IT60 X054 2811 1010 0000 0123 456 per il rimborso", "X054", "rimborso"),
    ("chiamare lo 06 1234 5678 o +39 333 123 4567", "5678", "chiamare"),
    ("scrivere a ufficio.protocollo@cittametropolitana.it", "protocollo@", "scrivere"),
    ("mi chiamo Luca Verdi", "Verdi", "mi chiamo"),
    ("codice fiscale RSSMRA80A01H501U", "RSSMRA", "codice fiscale"),
])
def test_scrub_drops_each_kind_of_personal_data(text: str, gone: str, kept: str) -> None:
    clean = scrub(text)
    assert gone not in clean and kept in clean


def test_scrub_keeps_legal_references_and_places() -> None:
    text = "Cosa prevede la legge 56/2014, art. 1, comma 44, a Bologna per il 2024?"
    assert scrub(text) == text
    assert loggable(text, log_questions=False).terms == []
    assert "56/2014" in loggable(text, log_questions=True).terms
