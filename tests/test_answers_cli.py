"""`raccordo ask` end to end over the demo corpus (real ingest, index and searcher)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bot.app.service import Raccordo
from bot.cli.main import app

QUESTION = "Come sono stati organizzati i concorsi unici di zona nelle zone omogenee?"


def _run(service: Raccordo, *args: str) -> tuple[int, str, str]:
    runner = CliRunner()
    result = runner.invoke(app, ["ask", *args, "--data-dir", str(service.settings.data_dir)],
                           env={"RACCORDO_LLM_BASE_URL": "", "RACCORDO_CACHE_DIR":
                                str(service.settings.cache_dir)})
    return result.exit_code, result.stdout, result.stderr


def test_ask_json_contract_and_verbatim_quotes(demo_service: Raccordo) -> None:
    code, out, _ = _run(demo_service, QUESTION, "--json")
    assert code == 0
    payload = json.loads(out)
    assert payload["question"] == QUESTION and payload["abstained"] is False
    assert 1 <= len(payload["citations"]) <= 4
    texts = {c.id: c.text for c in demo_service.store.chunks()}
    for cit in payload["citations"]:
        assert cit["quote"] in texts[cit["chunk_id"]]
        assert f"[{cit['n']}]" in payload["answer"]
    assert any("genova" in c["file"] for c in payload["citations"])


def test_ask_readable_lists_sources(demo_service: Raccordo) -> None:
    code, out, _ = _run(demo_service, QUESTION)
    assert code == 0
    assert out.startswith("Dalle fonti:")
    assert "\nFonti:\n[1] " in out and "Documenti:" in out


def test_ask_city_filter_restricts_citations(demo_service: Raccordo) -> None:
    code, out, _ = _run(demo_service, "Come si organizza una centrale di committenza?",
                        "--city", "Torino", "--json")
    assert code == 0
    payload = json.loads(out)
    assert payload["citations"], payload
    assert all("torino" in c["file"] for c in payload["citations"])


def test_ask_rejects_an_empty_question(demo_service: Raccordo) -> None:
    code, _, err = _run(demo_service, "   ")
    assert code == 3
    assert "La domanda è vuota" in err


def test_eval_answers_reports_answer_metrics_and_writes_answers(demo_service: Raccordo,
                                                                tmp_path: Path) -> None:
    questions = tmp_path / "q.jsonl"
    rows = [
        {"id": "g1", "type": "practice", "question": QUESTION, "persona": "coordinator",
         "relevant": [{"file": "demo/scheda_genova_zone_omogenee_unioni.md", "locator": "",
                       "evidence": "la Città metropolitana organizza procedure selettive comuni"}],
         "answer": ""},
        {"id": "n1", "type": "no_answer", "persona": "official", "relevant": [], "answer": "",
         "question": "Qual è la soglia per l'affidamento diretto nel codice dei contratti 2023?"},
    ]
    questions.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    out = tmp_path / "out.jsonl"
    runner = CliRunner()
    result = runner.invoke(app, ["eval", str(questions), "--answers", "--json", "--out", str(out),
                                 "--data-dir", str(demo_service.settings.data_dir)],
                           env={"RACCORDO_LLM_BASE_URL": "",
                                "RACCORDO_CACHE_DIR": str(demo_service.settings.cache_dir)})
    assert result.exit_code == 0, result.stderr
    metrics = json.loads(result.stdout)["answers"]
    assert metrics["answer_recall"] == 1.0 and metrics["abstention"] == 1.0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["id"] for line in lines] == ["g1", "n1"]
    assert lines[0]["answer"]["abstained"] is False and lines[1]["answer"]["abstained"] is True
    assert lines[0]["hits"][0]["file"].startswith("demo/")
