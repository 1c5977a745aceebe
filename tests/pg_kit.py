"""Helpers of the PostgreSQL tests: fresh databases on the session's pgserver."""

from __future__ import annotations

import itertools
from typing import Any

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
