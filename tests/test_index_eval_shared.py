"""Retrieval quality on the shared corpus with dev.jsonl, through `raccordo eval` (slow)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.main import app

pytestmark = [pytest.mark.slow, pytest.mark.shared]


def test_dev_set_meets_the_retrieval_targets(shared_service: object, shared_dir: Path,
                                             tmp_path: Path) -> None:
    data_dir = shared_service.settings.data_dir  # type: ignore[attr-defined]
    out = tmp_path / "results.jsonl"
    result = CliRunner().invoke(app, ["eval", str(shared_dir / "eval" / "dev.jsonl"), "-k", "10",
                                      "--json", "--out", str(out), "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    overall, legal = report["overall"], report["by_type"]["legal_ref"]
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").split("\n") if x]
    misses = [x["id"] for x in lines if x["rank"] is None]
    assert overall["recall@5"] >= 0.90, (report, misses)
    assert legal["recall@1"] >= 0.90, report
    assert overall["questions"] == 25 and report["unanswerable"] == 5
