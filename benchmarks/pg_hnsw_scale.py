"""pgvector HNSW at scale: recall@10 against exact search, query latency, build time.

Usage:
  python -m benchmarks.pg_hnsw_scale --url URL [--sizes 100000,1000000] [--queries 200]
      [--m 16] [--ef-construction 64] [--ef-search 40,100,256,512]
The vectors are `index.benchmark.synthetic_vectors` (unit vectors near a 48-dimensional
subspace plus noise, d = 384), the same generator as the FAISS figures in
docs/benchmarks-retrieval.md, with held-out queries. Exact top-10 comes from numpy. Latency
is one query at a time through psycopg (round trip included). The table is dropped after.
Target (issue 13): recall@10 ≥ 0.95 and p95 ≤ 50 ms at 1M.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import psycopg

from index.benchmark import percentiles, synthetic_vectors
from ingest.pgstore import vector_text

TABLE = "bench_hnsw"


def load(conn: psycopg.Connection, data: np.ndarray) -> float:
    """Create the table and COPY the vectors in; seconds taken."""
    started = time.perf_counter()
    conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
    conn.execute(f"CREATE TABLE {TABLE} (id BIGINT PRIMARY KEY, embedding vector(384))")
    with conn.cursor() as cur, cur.copy(f"COPY {TABLE} (id, embedding) FROM STDIN") as copy:
        for i, vec in enumerate(data):
            copy.write_row((i, vector_text(vec)))
    return time.perf_counter() - started


def build(conn: psycopg.Connection, m: int, ef_construction: int) -> float:
    """Build the HNSW index (cosine); seconds taken."""
    started = time.perf_counter()
    conn.execute("SET maintenance_work_mem = '2GB'")
    conn.execute(f"CREATE INDEX ON {TABLE} USING hnsw (embedding vector_cosine_ops)"
                 f" WITH (m = {m}, ef_construction = {ef_construction})")
    return time.perf_counter() - started


def measure(conn: psycopg.Connection, queries: np.ndarray, truth: np.ndarray,
            ef: int) -> dict[str, float]:
    """Latency and recall@10 of HNSW searches at one ef_search."""
    conn.execute(f"SET hnsw.ef_search = {ef}")
    samples, found = [], 0
    for q, expected in zip(queries, truth, strict=True):
        text = vector_text(q)
        started = time.perf_counter()
        rows = conn.execute(f"SELECT id FROM {TABLE} ORDER BY embedding <=> %s::vector"
                            " LIMIT 10", (text,)).fetchall()
        samples.append((time.perf_counter() - started) * 1000)
        found += len({int(r[0]) for r in rows} & set(expected.tolist()))
    stats = percentiles(samples)
    stats["recall@10"] = found / truth.size
    return stats


def exact_top10(data: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Exact top-10 ids by inner product (unit vectors: cosine)."""
    out = np.empty((queries.shape[0], 10), dtype=np.int64)
    for i, q in enumerate(queries):
        sims = data @ q
        top = np.argpartition(-sims, 10)[:10]
        out[i] = top[np.argsort(-sims[top])]
    return out


def run(url: str, n: int, n_queries: int, m: int, efc: int, efs: list[int]) -> dict[str, object]:
    """One size: load, build, measure every ef_search."""
    both = synthetic_vectors(n + n_queries, 384, seed=7)
    data, queries = both[:n], both[n:]
    truth = exact_top10(data, queries)
    with psycopg.connect(url, autocommit=True) as conn:
        loaded = load(conn, data)
        built = build(conn, m, efc)
        size = conn.execute(f"SELECT pg_relation_size(indexrelid) FROM pg_index WHERE"
                            f" indrelid = '{TABLE}'::regclass AND NOT indisprimary").fetchone()
        results = {f"ef_search={ef}": measure(conn, queries, truth, ef) for ef in efs}
        conn.execute(f"DROP TABLE {TABLE}")
    return {"vectors": n, "m": m, "ef_construction": efc, "load_s": round(loaded, 1),
            "build_s": round(built, 1), "index_mb": round(int(size[0] if size else 0) / 2**20),
            "results": results}


def main() -> None:
    """Print one JSON object per size."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--m", type=int, default=16)
    parser.add_argument("--ef-construction", type=int, default=64)
    parser.add_argument("--ef-search", default="40,100,256,512")
    args = parser.parse_args()
    efs = [int(x) for x in args.ef_search.split(",")]
    for n in (int(x) for x in args.sizes.split(",")):
        print(json.dumps(run(args.url, n, args.queries, args.m, args.ef_construction, efs)),
              flush=True)


if __name__ == "__main__":
    main()
