"""`raccordo ingest` and `raccordo documents [--json]` through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

from fixtures.ingest.makers import make_image_only_pdf
from typer.testing import CliRunner

from bot.cli.main import app
from ingest.ocr import NO_READABLE_TEXT
from ingest.pipeline import ingest_path
from ingest.store import Store

KEYS = {"id", "file", "title", "kind", "city", "year", "pages", "chunks", "status", "reason",
        "ocr", "ocr_pages", "in_force"}


def _folder(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    root.mkdir()
    (root / "scheda.md").write_text("# Scheda unione dei comuni\n\nL'unione gestisce i servizi "
                                    "sociali dei comuni associati.\n", encoding="utf-8")
    (root / "scansione.pdf").write_bytes(make_image_only_pdf())
    return root


def test_documents_json_contract(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = Store(data / "raccordo.db")
    ingest_path(_folder(tmp_path), store)
    store.close()
    result = CliRunner().invoke(app, ["documents", "--json", "--data-dir", str(data)])
    assert result.exit_code == 0, result.output
    rows = {r["file"]: r for r in json.loads(result.stdout)}
    assert all(set(r) == KEYS for r in rows.values())
    assert rows["scheda.md"]["status"] == "indexed" and rows["scheda.md"]["chunks"] == 1
    assert rows["scheda.md"]["title"] == "Scheda unione dei comuni"
    assert rows["scansione.pdf"]["status"] == "skipped"
    assert rows["scansione.pdf"]["reason"] == NO_READABLE_TEXT
    assert rows["scheda.md"]["ocr"] is False and rows["scheda.md"]["ocr_pages"] == []
    assert rows["scheda.md"]["in_force"] is None  # a practice sheet names no text version
    plain = CliRunner().invoke(app, ["documents", "--data-dir", str(data)])
    assert "scartato: PDF senza testo" in plain.stdout


def test_ingest_command_summary_and_exit_code(tmp_path: Path) -> None:
    root = _folder(tmp_path)
    data = tmp_path / "data"
    result = CliRunner().invoke(app, ["ingest", str(root), "--data-dir", str(data)])
    assert result.exit_code == 1, result.output  # the scan was skipped
    assert "scansione.pdf" in result.stdout and NO_READABLE_TEXT in result.stdout
    again = CliRunner().invoke(app, ["ingest", str(root), "--data-dir", str(data)])
    assert again.exit_code == 0, again.output  # nothing was skipped in this run
    assert "Nessuna modifica" in again.stdout and "invariato" in again.stdout
