"""Helpers of the PostgreSQL tests: fresh databases on the session's pgserver."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_COUNTER = itertools.count()


def fresh_database(server: Any) -> str:
    """Create an empty database and return its URL."""
    import psycopg

    base = server.get_uri()
    name = f"t{next(_COUNTER)}_{id(server) % 10_000}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    return url_of(base, name)


def url_of(base: str, dbname: str) -> str:
    """`base` (postgresql://…/postgres?host=…) pointing at another database."""
    head, _, query = base.partition("?")
    return head.rsplit("/", 1)[0] + "/" + dbname + ("?" + query if query else "")


def run_together(task: Callable[[], T], n: int, timeout_s: float = 300) -> list[T]:
    """Run `task` in `n` threads at once; its results (an exception in a thread is raised
    here, not lost)."""
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(task())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout_s)
    if errors:
        raise errors[0]
    assert len(results) == n, "a thread did not finish in time"
    return results
