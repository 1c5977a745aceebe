"""Embedding cache: (model id, sha256 of the indexed text) → float32 vector, in SQLite."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

SCHEMA = """
CREATE TABLE IF NOT EXISTS embeddings (
    model TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    dim INTEGER NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (model, sha256)
) WITHOUT ROWID;
"""


def text_key(text: str) -> str:
    """The cache key of a text: hex sha256 of its UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """A process- and thread-safe vector cache (SQLite WAL, raw float32 blobs)."""

    def __init__(self, cache_dir: Path) -> None:
        cache_dir = Path(cache_dir)
        cache_dir.mkdir(parents=True, exist_ok=True)
        self.path = cache_dir / "embeddings.sqlite"
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None,
                                     timeout=30)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA busy_timeout=30000")
        self._conn.executescript(SCHEMA)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    def get_many(self, model_id: str, keys: Sequence[str], dim: int) -> dict[str, np.ndarray]:
        """Cached vectors for the given keys (missing or wrong-sized ones are left out)."""
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), 500):
            part = unique[start:start + 500]
            marks = ",".join("?" * len(part))
            with self._lock:
                rows = self._conn.execute(
                    f"SELECT sha256, dim, vector FROM embeddings WHERE model=? AND sha256 IN "
                    f"({marks})", [model_id, *part]).fetchall()
            for sha, row_dim, blob in rows:
                if int(row_dim) == dim and len(blob) == dim * 4:
                    found[str(sha)] = np.frombuffer(blob, dtype=np.float32).copy()
        return found

    def put_many(self, model_id: str, vectors: Mapping[str, np.ndarray]) -> None:
        """Store vectors (float32) under their keys, in one transaction."""
        rows = [(model_id, key, int(vec.shape[-1]),
                 np.ascontiguousarray(vec, dtype=np.float32).tobytes())
                for key, vec in vectors.items()]
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.executemany(
                    "INSERT OR REPLACE INTO embeddings(model, sha256, dim, vector)"
                    " VALUES (?,?,?,?)", rows)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def count(self, model_id: str | None = None) -> int:
        """Number of cached vectors (of one model, or of all)."""
        with self._lock:
            if model_id is None:
                row = self._conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()
            else:
                row = self._conn.execute("SELECT COUNT(*) FROM embeddings WHERE model=?",
                                         (model_id,)).fetchone()
        return int(row[0])
