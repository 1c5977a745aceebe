"""Measurements behind `raccordo bench`: search latency, embedding throughput, FAISS at scale."""

from __future__ import annotations

import gc
import resource
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import faiss
import numpy as np
import psutil

from index.dense import HNSW_EF_CONSTRUCTION, HNSW_M
from index.embedders import Embedder


def percentiles(samples_ms: Sequence[float]) -> dict[str, float]:
    """p50/p95/mean/max of latencies in milliseconds."""
    arr = np.asarray(samples_ms, dtype=np.float64)
    return {"n": float(arr.size), "p50_ms": float(np.percentile(arr, 50)),
            "p95_ms": float(np.percentile(arr, 95)), "mean_ms": float(arr.mean()),
            "max_ms": float(arr.max())}


def search_latency(search: Callable[[str], object], queries: Sequence[str],
                   warmup: int = 5) -> dict[str, float]:
    """Latency of `search(query)` per query (after a warm-up), in ms."""
    for q in queries[:warmup]:
        search(q)
    samples = []
    for q in queries:
        start = time.perf_counter()
        search(q)
        samples.append((time.perf_counter() - start) * 1000)
    return percentiles(samples)


def interleaved_throughput(texts: Sequence[str], engines: Mapping[str, Embedder],
                           tokens: int, rounds: int = 3) -> dict[str, dict[str, float]]:
    """Tokens/s and passages/s per engine on the same texts, in rounds of alternating order
    (so that load on a shared machine hits every engine alike)."""
    seconds = dict.fromkeys(engines, 0.0)
    names = list(engines)
    for r in range(rounds):
        for name in names if r % 2 == 0 else names[::-1]:
            start = time.perf_counter()
            engines[name].embed_passages(list(texts))
            seconds[name] += time.perf_counter() - start
    n = len(texts) * rounds
    return {name: {"passages": float(n), "tokens": float(tokens * rounds),
                   "seconds": round(s, 2), "tokens_per_s": round(tokens * rounds / s, 1),
                   "passages_per_s": round(n / s, 2)}
            for name, s in seconds.items()}


def concurrent_latency(search: Callable[[str], object], queries: Sequence[str],
                       clients: int) -> dict[str, float]:
    """`clients` closed-loop threads share the queries: latency percentiles and searches/s."""
    samples: list[float] = []
    lock = threading.Lock()
    todo = iter(list(queries))

    def client() -> None:
        while True:
            with lock:
                query = next(todo, None)
            if query is None:
                return
            start = time.perf_counter()
            search(query)
            with lock:
                samples.append((time.perf_counter() - start) * 1000)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    return {**percentiles(samples), "clients": float(clients),
            "searches_per_s": len(samples) / elapsed}


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux: ru_maxrss is in KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def synthetic_vectors(n: int, dim: int, seed: int, rank: int = 48,
                      noise: float = 0.5) -> np.ndarray:
    """Unit vectors near a random 48-dimensional subspace, plus isotropic noise.

    Text embeddings have a low intrinsic dimension; tight clusters make ANN look perfect
    and uniform noise makes it look hopeless, so neither is used.
    """
    rng = np.random.default_rng(seed)
    basis = rng.standard_normal((rank, dim)).astype(np.float32)
    out = np.empty((n, dim), dtype=np.float32)
    step = 100_000
    for start in range(0, n, step):
        m = min(step, n - start)
        latent = rng.standard_normal((m, rank)).astype(np.float32)
        out[start:start + m] = latent @ basis + noise * rng.standard_normal((m, dim)).astype(
            np.float32)
    faiss.normalize_L2(out)
    return out


def _rss() -> int:
    return int(psutil.Process().memory_info().rss)


def _measure(index: Any, queries: np.ndarray, truth: np.ndarray, k: int) -> dict[str, float]:
    faiss.omp_set_num_threads(1)
    samples, found = [], 0
    for i in range(queries.shape[0]):
        start = time.perf_counter()
        _, ids = index.search(queries[i:i + 1], k)
        samples.append((time.perf_counter() - start) * 1000)
        found += len(set(ids[0].tolist()) & set(truth[i].tolist()))
    stats = percentiles(samples)
    stats["recall@10"] = found / truth.size
    return stats


def scale_benchmark(n: int, *, dim: int = 384, queries: int = 200, k: int = 10,
                    kinds: Sequence[str] = ("hnsw", "ivf"), threads: int = 2,
                    seed: int = 7) -> dict[str, dict[str, float]]:
    """p50/p95 latency (1 thread), recall@10 vs exact, build time and memory, per index kind."""
    both = synthetic_vectors(n + queries, dim, seed)  # held-out queries, same distribution
    data, qs = both[:n], np.ascontiguousarray(both[n:])
    faiss.omp_set_num_threads(threads)
    exact = faiss.IndexFlatIP(dim)
    exact.add(data)
    _, truth = exact.search(qs, k)
    results: dict[str, dict[str, float]] = {"exact": _measure(exact, qs, truth, k)}
    results["exact"]["memory_mb"] = n * dim * 4 / 2**20
    del exact
    gc.collect()
    for kind in kinds:
        faiss.omp_set_num_threads(threads)
        before = _rss()
        start = time.perf_counter()
        index = _build(kind, data, dim)
        built = time.perf_counter() - start
        memory = (_rss() - before) / 2**20
        for name, value in SEARCH_PARAMS[kind]:
            _set_param(index, kind, value)
            stats = _measure(index, qs, truth, k)
            stats["build_s"] = built
            stats["memory_mb"] = memory
            results[f"{kind} {name}={value}"] = stats
        del index
        gc.collect()
    return results


SEARCH_PARAMS = {"hnsw": [("efSearch", 64), ("efSearch", 128), ("efSearch", 256),
                          ("efSearch", 512)],
                 "ivf": [("nprobe", 16), ("nprobe", 32), ("nprobe", 64)]}


def _set_param(index: Any, kind: str, value: int) -> None:
    inner: Any = faiss.downcast_index(index.index)
    if kind == "hnsw":
        inner.hnsw.efSearch = value
    else:
        inner.nprobe = value


def _build(kind: str, data: np.ndarray, dim: int) -> Any:
    ids = np.arange(data.shape[0], dtype=np.int64)
    if kind == "hnsw":
        inner: Any = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        inner.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        inner.hnsw.efSearch = 128
    elif kind == "ivf":
        nlist = max(16, int(np.sqrt(data.shape[0])))
        quantizer = faiss.IndexFlatIP(dim)
        inner = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
        sample = data[np.random.default_rng(0).choice(data.shape[0],
                                                       min(data.shape[0], 40 * nlist),
                                                       replace=False)]
        inner.train(sample)
        inner.nprobe = 32
    else:
        raise ValueError(kind)
    index = faiss.IndexIDMap2(inner)
    index.add_with_ids(data, ids)  # the Python wrappers keep `inner` alive
    return index
