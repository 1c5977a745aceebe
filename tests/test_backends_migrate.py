"""`raccordo migrate --to`: an embedded data dir copied into PostgreSQL, nothing re-embedded;
and a database that cannot be reached gives an Italian message and an exit code."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.app.service import Raccordo
from bot.cli.main import app
from index.models import Filters
from tests.conftest import REPO, make_settings

QUERIES = ("centrale unica di committenza", "art. 107 del TUEL", "zone omogenee")
UNREACHABLE = "postgresql://raccordo:segreto@127.0.0.1:9/raccordo?connect_timeout=1"


def _ranked(service: Raccordo, query: str) -> list[tuple[str, int]]:
    return [(h.document.file, h.chunk.ordinal)
            for h in service.search(query, k=5, filters=Filters(vigente=True))]


def test_migrate_copies_everything_and_searches_the_same(tmp_path: Path, pg_url: str) -> None:
    data = tmp_path / "data"
    embedded = Raccordo(make_settings(data))
    embedded.ingest(REPO / "corpus")
    embedded.appdb.add_user(42, role="admin")
    secret = embedded.appdb.create_api_key("read", "ci")
    qid = embedded.appdb.log_question(channel="api", abstained=False, cited_docs=[], terms=[])
    embedded.appdb.save_review(qid, decision="no_answer", relevant=[], decided_by="api:1")
    expected = {q: _ranked(embedded, q) for q in QUERIES}
    counts = embedded.store.counts()
    themes = embedded.store.chunk_themes()
    embedded.close()

    result = CliRunner().invoke(app, ["migrate", "--to", pg_url, "--data-dir", str(data)])
    assert result.exit_code == 0, result.output
    assert f"passaggi: {counts['chunks']}, vettori: {counts['chunks']}" in result.output
    assert "ricalcolati: 0" in result.output and "tabella users: 1 righe" in result.output

    scaled = Raccordo(make_settings(tmp_path / "other", database_url=pg_url))
    try:
        assert scaled.store.counts() == counts
        assert scaled.store.chunk_themes() == themes
        assert {q: _ranked(scaled, q) for q in QUERIES} == expected
        assert scaled.appdb.user_role(42) == "admin" and scaled.appdb.check_api_key(secret)
        assert [r[:2] for r in scaled.appdb.reviews().values()] == [("no_answer", [])]
        assert scaled.appdb.log_question(channel="api", abstained=False, cited_docs=[],
                                         terms=[]) == qid + 1  # sequences moved past ids
    finally:
        scaled.close()
    again = CliRunner().invoke(app, ["migrate", "--to", pg_url, "--data-dir", str(data)])
    assert again.exit_code == 3 and "contiene già documenti" in again.output


def test_unreachable_database_is_an_italian_message_not_a_traceback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RACCORDO_DATABASE_URL", UNREACHABLE)
    monkeypatch.setenv("RACCORDO_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["documents"])
    assert result.exit_code == 3
    assert "Database PostgreSQL non raggiungibile (127.0.0.1:9/raccordo)" in result.output
    assert "segreto" not in result.output and "Traceback" not in result.output


def test_migrations_are_numbered_files_applied_once_even_by_racing_starts(pg_url: str) -> None:
    from ingest.pgdb import apply_migrations
    from ingest.pgstore import PgStore
    from tests.pg_kit import run_together

    run_together(lambda: PgStore(pg_url).close(), 3)
    store = PgStore(pg_url)
    try:
        with store.db.connect() as conn:
            rows = conn.execute("SELECT component, version, name FROM schema_migrations"
                                " ORDER BY version").fetchall()
        assert rows == [("store", 1, "001_store.sql"), ("store", 2, "002_jobs.sql"),
                        ("store", 3, "003_chunk_page_breaks.sql"),
                        ("store", 4, "004_document_in_force.sql")]
        assert apply_migrations(store.db, "store", "ingest.pgmigrations") == []
    finally:
        store.close()
