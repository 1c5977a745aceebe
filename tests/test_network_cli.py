"""The network commands of the `raccordo` CLI over the demo corpus."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner

from bot.cli.main import app


def _run(service: Any, *args: str) -> Any:
    result = CliRunner().invoke(app, [*args, "--data-dir", str(service.settings.data_dir)])
    return result


def test_themes_table_and_json(demo_service: Any) -> None:
    table = _run(demo_service, "themes")
    assert table.exit_code == 0, table.output
    line = next(x for x in table.stdout.splitlines() if x.strip().startswith("zone_omogenee"))
    assert "Genova 1" in line
    data = json.loads(_run(demo_service, "themes", "--json").stdout)
    uffici = next(t for t in data if t["id"] == "uffici_unici")
    assert uffici["parent"] == "gestione_integrata_servizi" and uffici["documents"] >= 3
    assert sum(uffici["by_city"].values()) == uffici["documents"]


def test_similar_command(demo_service: Any) -> None:
    result = _run(demo_service, "similar", "scheda_torino_centrale_committenza.md",
                  "--other-cities", "-k", "3", "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["document"]["city"] == "Torino" and len(body["similar"]) == 3
    assert all(s["city"] != "Torino" for s in body["similar"])
    text = _run(demo_service, "similar", "--text", "Osservatorio metropolitano dei dati")
    assert text.exit_code == 0 and "1. " in text.stdout
    assert _run(demo_service, "similar").exit_code == 3  # neither a document nor --text
    assert _run(demo_service, "similar", "nessun_file.pdf").exit_code == 3


def test_compare_command(demo_service: Any) -> None:
    result = _run(demo_service, "compare", "Come si gestiscono le gare per i piccoli comuni?",
                  "--by", "city", "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert "Palermo" in body["nothing"]
    assert _run(demo_service, "compare", "domanda", "--by", "anno").exit_code == 3
