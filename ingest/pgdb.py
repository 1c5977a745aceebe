"""A pool of PostgreSQL connections that turns connection failures into one Italian error."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingest.errors import StoreError

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 5
MIGRATION_LOCK = 7_260_013  # pg_advisory_xact_lock key: one migrating process at a time


class DatabaseUnavailable(StoreError):
    """PostgreSQL cannot be reached (at start or while serving); the message is Italian."""

    code = "database_non_raggiungibile"


def describe(url: str) -> str:
    """`host:port/dbname` of a connection URL, without user or password (for messages)."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        info = conninfo_to_dict(url)
    except Exception:
        return "URL non valido"
    host = str(info.get("host") or "localhost")
    return f"{host}:{info.get('port') or 5432}/{info.get('dbname') or ''}"


def missing_driver() -> DatabaseUnavailable:
    """The error when psycopg is not installed."""
    return DatabaseUnavailable("Manca il driver PostgreSQL: installa raccordo[postgres] "
                               "(psycopg, psycopg-pool).")


class Database:
    """A connection pool (autocommit connections, checked before use, replaced when dead)."""

    def __init__(self, url: str, *, max_size: int = 8, timeout_s: float = 5.0) -> None:
        try:
            import psycopg
            from psycopg_pool import ConnectionPool, PoolTimeout
        except ImportError as exc:
            raise missing_driver() from exc
        self.url = url
        self.where = describe(url)
        self.timeout_s = timeout_s
        self._errors: tuple[type[BaseException], ...] = (psycopg.OperationalError,
                                                           psycopg.InterfaceError, PoolTimeout)
        self.pool = ConnectionPool(url, min_size=1, max_size=max_size, open=False,
                                   kwargs={"autocommit": True,
                                           "connect_timeout": CONNECT_TIMEOUT_S},
                                   check=ConnectionPool.check_connection,
                                   name="raccordo")
        try:  # one plain attempt first: an unreachable server fails now, not after retries
            psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S).close()
            self.pool.open(wait=True, timeout=timeout_s)
        except self._errors as exc:
            self.pool.close()
            raise self.unavailable(exc) from None

    def unavailable(self, exc: BaseException) -> DatabaseUnavailable:
        """The Italian error for a connection failure (logged without the URL's secrets)."""
        log.warning("database %s non raggiungibile: %s", self.where, type(exc).__name__)
        return DatabaseUnavailable(f"Database PostgreSQL non raggiungibile ({self.where}): "
                                   "controlla RACCORDO_DATABASE_URL e che il server sia attivo.")

    @contextmanager
    def connect(self) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection (autocommit); connection failures raise DatabaseUnavailable."""
        try:
            with self.pool.connection(timeout=self.timeout_s) as conn:
                yield conn
        except self._errors as exc:
            raise self.unavailable(exc) from None

    def dedicated(self) -> psycopg.Connection[Any]:
        """A connection of its own (autocommit), outside the pool: for session locks."""
        import psycopg

        try:
            return psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
        except psycopg.OperationalError as exc:
            raise self.unavailable(exc) from None

    def close(self) -> None:
        """Close every pooled connection."""
        self.pool.close()


def apply_migrations(db: Database, component: str, package: str) -> list[str]:
    """Run the numbered `NNN_name.sql` files of `package` not yet applied to `component`.

    Each file runs in its own transaction together with its row in `schema_migrations`; an
    advisory lock keeps two processes starting together from migrating twice.
    """
    files = sorted((Path(str(f)) for f in resources.files(package).iterdir()
                    if f.name.endswith(".sql")), key=lambda p: p.name)
    applied: list[str] = []
    with db.connect() as c:
        with c.transaction():  # under the lock too: two first starts must not race here
            c.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            c.execute("CREATE TABLE IF NOT EXISTS schema_migrations (component TEXT NOT NULL,"
                      " version INTEGER NOT NULL, name TEXT NOT NULL, applied_at TIMESTAMPTZ"
                      " NOT NULL DEFAULT now(), PRIMARY KEY (component, version))")
        for path in files:
            version = int(path.name.split("_", 1)[0])
            with c.transaction():
                c.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
                done = c.execute("SELECT 1 FROM schema_migrations WHERE component=%s AND"
                                 " version=%s", (component, version)).fetchone()
                if done:
                    continue
                c.execute(path.read_text(encoding="utf-8"))
                c.execute("INSERT INTO schema_migrations(component, version, name)"
                          " VALUES (%s, %s, %s)", (component, version, path.name))
                applied.append(path.name)
    if applied:
        log.info("migrazioni applicate (%s): %s", component, ", ".join(applied))
    return applied
