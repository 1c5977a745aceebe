"""`raccordo ask` end to end over the demo corpus (real ingest, index and searcher)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from bot.cli import app
from bot.service import Raccordo

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
