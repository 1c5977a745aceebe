"""Dashboard aggregates, knowledge-gap clustering and `raccordo report` on a synthetic log."""

from __future__ import annotations

import csv
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.app.service import Raccordo
from bot.cli.main import app
from bot.network.stats import GapQuestion, cluster_gaps
from tests.conftest import make_settings

UNIONS = ["Come si costituisce un'unione di comuni per i servizi associati?",
          "Quali servizi associati può gestire l'unione dei comuni?",
          "Unione di comuni: servizi associati e convenzioni"]
PAGOPA = ["Come si stampa l'avviso pagoPA per le multe?",
          "Avviso pagoPA delle multe con preavviso"]


def _log(service: Raccordo, *, with_text: bool) -> None:
    from bot.answers.terms import terms

    db = service.appdb
    for q in UNIONS:  # abstained
        db.log_question(channel="telegram", abstained=True, cited_docs=[], terms=terms(q),
                        question=q if with_text else None)
    for q in PAGOPA:  # answered, but voted down
        qid = db.log_question(channel="api", abstained=False, cited_docs=[1], terms=terms(q),
                              question=q if with_text else None)
        db.add_feedback(channel="api", vote=-1, question_id=qid)
    db.log_question(channel="web", abstained=False, cited_docs=[], uncertain=True,  # warned
                    terms=terms("Termine per il ricorso al TAR sul diniego di accesso"))
    good = db.log_question(channel="api", abstained=False, cited_docs=[1, 2],
                           terms=terms("zone omogenee della città metropolitana"))
    db.add_feedback(channel="api", vote=1, question_id=good)
    db.add_contribution(user_id=7, chat_id=7, file_name="a.pdf", stored_path="/x/a.pdf",
                        sha256="a" * 64, city="Bari", title="A")
    second = db.add_contribution(user_id=7, chat_id=7, file_name="b.pdf",
                                 stored_path="/x/b.pdf", sha256="b" * 64, city="Bari",
                                 title="B")
    db.decide_contribution(second, status="approved", decided_by=1)


@pytest.fixture()
def logged(tmp_path: Path) -> Iterator[Raccordo]:
    """An empty knowledge base with a synthetic question log (no question text)."""
    service = Raccordo(make_settings(tmp_path / "data"))
    _log(service, with_text=False)
    yield service
    service.close()


def test_gaps_are_clustered_by_terms_without_question_text(logged: Raccordo) -> None:
    stats = logged.stats().to_json()
    gaps = stats["gaps"]
    assert [g["count"] for g in gaps] == [3, 2, 1]
    assert gaps[0]["abstained"] == 3 and gaps[0]["downvoted"] == 0
    assert gaps[1]["abstained"] == 0 and gaps[1]["downvoted"] == 2
    assert gaps[2]["uncertain"] == 1 and "ricors" in gaps[2]["topic"]  # answered, but warned
    assert gaps[0]["uncertain"] == gaps[1]["uncertain"] == 0
    assert "comun" in gaps[0]["topic"] and "avvis" in gaps[1]["topic"]
    assert all(g["example"] is None for g in gaps)
    assert stats["question_text_shown"] is False
    assert stats["questions"]["total"] == 7
    today = time.strftime("%Y-%m-%d", time.gmtime())
    assert stats["questions"]["by_day"] == [{"day": today, "questions": 7, "abstained": 3}]
    assert stats["contributions"] == {"pending": 1, "approved": 1, "rejected": 0}
    assert [d["citations"] for d in stats["most_cited"]] == [3, 1]
    assert stats["most_cited"][0]["title"] == "(documento rimosso)"


def test_examples_appear_only_when_questions_are_logged(tmp_path: Path) -> None:
    service = Raccordo(make_settings(tmp_path / "data", log_questions=True))
    _log(service, with_text=True)
    gaps = service.stats().to_json()["gaps"]
    service.close()
    assert gaps[0]["example"] in UNIONS
    assert gaps[1]["example"] in PAGOPA


def test_clustering_is_deterministic_and_keeps_unrelated_questions_apart() -> None:
    def q(i: int, *terms: str) -> GapQuestion:
        return GapQuestion(id=i, ts=float(i), terms=terms, question=None, abstained=True,
                           downvoted=False)

    questions = [q(1, "unio", "comun"), q(2, "bilanc", "previs"), q(3, "unio", "comun", "serv"),
                 q(4, "cani", "parc"), q(5, "bilanc", "consunt", "previs")]
    first = [(c.label, [m.id for m in c.members]) for c in cluster_gaps(questions)]
    again = [(c.label, [m.id for m in c.members]) for c in cluster_gaps(list(questions))]
    assert first == again
    assert sorted(ids for _, ids in first) == [[1, 3], [2, 5], [4]]


def test_report_prints_markdown_and_writes_csv(logged: Raccordo, tmp_path: Path) -> None:
    out = tmp_path / "csv"
    result = CliRunner().invoke(app, ["report", "--since", "2020-01-01", "--csv-dir", str(out),
                                      "--data-dir", str(logged.settings.data_dir)])
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.startswith("# Rapporto della rete Raccordo")
    assert "## Lacune di conoscenza" in text and "| 3 |" in text
    assert "Testo delle domande non registrato" in text
    with (out / "lacune.csv").open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:2] == ["argomento", "domande"] and [r[1] for r in rows[1:]] == ["3", "2", "1"]
    assert rows[0][4] == "incerte" and [r[4] for r in rows[1:]] == ["0", "0", "1"]
    with (out / "contributi.csv").open(encoding="utf-8") as fh:
        assert dict(list(csv.reader(fh))[1:]) == {"pending": "1", "approved": "1",
                                                  "rejected": "0"}
    future = CliRunner().invoke(app, ["report", "--since", "2999-01-01",
                                      "--data-dir", str(logged.settings.data_dir)])
    assert future.exit_code == 0 and "Domande nel periodo (0)" in future.stdout
    bad = CliRunner().invoke(app, ["report", "--since", "ieri",
                                   "--data-dir", str(logged.settings.data_dir)])
    assert bad.exit_code == 3
