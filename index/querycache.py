"""A bounded LRU of query vectors: a repeated query (the same question from many officials, a
page reloaded, the next page of results) is not embedded again."""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

DEFAULT_SIZE = 2048  # 2048 x 384 float32 = 3 MB


class QueryVectorCache:
    """Thread-safe LRU from (model id, query text) to its vector."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, model_id: str, text: str) -> np.ndarray | None:
        """The cached vector (a read-only view), or None."""
        with self._lock:
            found = self._items.get((model_id, text))
            if found is None:
                self.misses += 1
                return None
            self._items.move_to_end((model_id, text))
            self.hits += 1
            return found

    def put(self, model_id: str, text: str, vector: np.ndarray) -> None:
        """Remember a vector, dropping the least recently used beyond `size`."""
        if self.size <= 0:
            return
        frozen = np.array(vector, dtype=np.float32, copy=True)
        frozen.setflags(write=False)
        with self._lock:
            self._items[(model_id, text)] = frozen
            self._items.move_to_end((model_id, text))
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
