"""Where the application tables live: the store's SQLite file, or PostgreSQL (same SQL)."""

from __future__ import annotations

import re
import sqlite3
import threading
from typing import Any, Protocol

from ingest.pgdb import Database, apply_migrations

Rows = list[tuple[Any, ...]]


class SqlRunner(Protocol):
    """Runs the application's SQL (written with `?` placeholders) on one database."""

    def run(self, sql: str, args: tuple[Any, ...] = ()) -> tuple[Rows, int]:
        """Rows (for a SELECT) and the number of rows changed."""
        ...

    def insert(self, sql: str, args: tuple[Any, ...] = ()) -> int:
        """Run an INSERT into a table with an `id` column; the new row's id."""
        ...


class SqliteRunner:
    """Application SQL on the store's SQLite connection (thread-safe)."""

    def __init__(self, conn: sqlite3.Connection, schema: str) -> None:
        self._conn = conn
        self._lock = threading.RLock()
        with self._lock:
            self._conn.executescript(schema)

    def run(self, sql: str, args: tuple[Any, ...] = ()) -> tuple[Rows, int]:
        """Rows and changed-row count."""
        with self._lock:
            cur = self._conn.execute(sql, args)
            return cur.fetchall(), cur.rowcount

    def insert(self, sql: str, args: tuple[Any, ...] = ()) -> int:
        """The new row's id."""
        with self._lock:
            cur = self._conn.execute(sql, args)
        assert cur.lastrowid is not None
        return cur.lastrowid


_MARK = re.compile(r"\?")


class PgRunner:
    """Application SQL on PostgreSQL; the schema comes from `bot/app/pgmigrations`."""

    def __init__(self, db: Database) -> None:
        self.db = db
        apply_migrations(db, "app", "bot.app.pgmigrations")

    def run(self, sql: str, args: tuple[Any, ...] = ()) -> tuple[Rows, int]:
        """Rows and changed-row count."""
        with self.db.connect() as conn:
            cur = conn.execute(_MARK.sub("%s", sql), args)
            rows = cur.fetchall() if cur.description is not None else []
            return rows, cur.rowcount

    def insert(self, sql: str, args: tuple[Any, ...] = ()) -> int:
        """The new row's id (INSERT … RETURNING id)."""
        with self.db.connect() as conn:
            row = conn.execute(_MARK.sub("%s", sql) + " RETURNING id", args).fetchone()
        assert row is not None
        return int(row[0])
