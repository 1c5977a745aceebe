"""Build and publish an index generation from the store (embedding only what's new)."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.cache import EmbeddingCache, text_key
from index.dense import DenseIndex
from index.embedders import Embedder
from index.generations import (
    Manifest,
    build_lock,
    current_manifest,
    generation_dir,
    prune,
    publish,
)
from index.lexical import LexicalIndex
from ingest.models import Chunk
from ingest.store import Store

log = logging.getLogger(__name__)

EMBED_BLOCK = 64  # texts embedded (and cached) per step: a kill loses at most one block
IDS_FILE = "ids.npy"
DENSE_FILE = "dense.faiss"
LEXICAL_DIR = "bm25"


@dataclass(frozen=True)
class EmbedStats:
    """How the vectors of a build were obtained."""

    embedded: int
    cached: int
    seconds: float


@dataclass(frozen=True)
class GenerationInfo:
    """A published generation and what building it cost."""

    generation: int
    path: Path
    manifest: Manifest
    embedded: int
    cached: int
    embed_seconds: float
    seconds: float


def build_index(store: Store, embedder: Embedder, index_dir: Path, cache_dir: Path, *,
                flat_max: int = 200_000, progress: bool = False, force: bool = False
                ) -> GenerationInfo | None:
    """Publish a new generation; None when the published one already matches the store."""
    started = time.perf_counter()
    index_dir = Path(index_dir)
    with build_lock(index_dir):
        version = store.version()
        current = current_manifest(index_dir)
        if (not force and current is not None and current.store_version == version
                and current.model_id == embedder.model_id):
            prune(index_dir)
            return None
        chunks = sorted(store.chunks(), key=lambda c: c.id or 0)
        ids = np.array([c.id for c in chunks], dtype=np.int64)
        texts = [c.indexed_text() for c in chunks]
        cache = EmbeddingCache(cache_dir)
        try:
            vectors, stats = embed_cached(texts, embedder, cache, progress=progress)
        finally:
            cache.close()

        def write(tmp: Path, n: int) -> Manifest:
            np.save(tmp / IDS_FILE, ids, allow_pickle=False)
            dense = DenseIndex.build(vectors, ids, flat_max, threads=2)
            dense.save(tmp / DENSE_FILE)
            LexicalIndex.build(texts).save(tmp / LEXICAL_DIR)
            return Manifest(generation=n, store_version=version, model_id=embedder.model_id,
                            dim=embedder.dim, chunks=len(chunks), dense_kind=dense.kind)

        manifest = publish(index_dir, write)
    info = GenerationInfo(generation=manifest.generation,
                          path=generation_dir(index_dir, manifest.generation),
                          manifest=manifest, embedded=stats.embedded, cached=stats.cached,
                          embed_seconds=stats.seconds, seconds=time.perf_counter() - started)
    log.info("generation %d: %d chunks (%d embedded, %d cached) in %.1fs", info.generation,
             manifest.chunks, stats.embedded, stats.cached, info.seconds)
    return info


def embed_cached(texts: Sequence[str], embedder: Embedder, cache: EmbeddingCache, *,
                 progress: bool = False) -> tuple[np.ndarray, EmbedStats]:
    """Vectors for texts: from the cache, else embedded (longest first) and cached."""
    started = time.perf_counter()
    keys = [text_key(t) for t in texts]
    found = cache.get_many(embedder.model_id, keys, embedder.dim)
    missing: dict[str, str] = {}
    for key, text in zip(keys, texts, strict=True):
        if key not in found and key not in missing:
            missing[key] = text
    order = sorted(missing, key=lambda k: len(missing[k]), reverse=True)  # less padding
    bar = _progress_bar(len(order)) if progress else None
    for start in range(0, len(order), EMBED_BLOCK):
        block = order[start:start + EMBED_BLOCK]
        vecs = embedder.embed_passages([missing[k] for k in block])
        fresh = dict(zip(block, vecs, strict=True))
        cache.put_many(embedder.model_id, fresh)
        found.update(fresh)
        if bar is not None:
            bar.update(len(block))
    if bar is not None:
        bar.close()
    out = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    for i, key in enumerate(keys):
        out[i] = found[key]
    stats = EmbedStats(embedded=len(order), cached=len(texts) - len(order) if texts else 0,
                       seconds=time.perf_counter() - started)
    return out, stats


class CacheFiller:
    """Embeds the chunks of each ingested file into the embedding cache as they arrive, so
    that the index build that follows finds them there (the `after_file` of an ingestion)."""

    def __init__(self, embedder: Embedder, cache_dir: Path) -> None:
        self.embedder = embedder
        self.cache = EmbeddingCache(cache_dir)
        self.stats = EmbedStats(embedded=0, cached=0, seconds=0.0)

    def __call__(self, chunks: Sequence[Chunk]) -> None:
        """Embed (and cache) the chunks' indexed texts that the cache does not hold yet."""
        _, stats = embed_cached([c.indexed_text() for c in chunks], self.embedder, self.cache)
        self.stats = EmbedStats(self.stats.embedded + stats.embedded,
                                self.stats.cached + stats.cached,
                                self.stats.seconds + stats.seconds)

    def __enter__(self) -> CacheFiller:
        return self

    def __exit__(self, *_: object) -> None:
        self.cache.close()


def _progress_bar(total: int) -> Any:
    if total == 0 or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="passaggi", desc="Embedding", file=sys.stderr)
