"""Shared fixtures: repo on sys.path, the shared data folder, ready-made services."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bot.app.settings import Settings  # noqa: E402
from tests.environment import absent, find_chromium  # noqa: E402

# Property tests draw the same examples on every run and have no per-example deadline: a
# failure is reproducible and a busy machine cannot turn a slow example into a failure.
hypothesis_settings.register_profile("raccordo", derandomize=True, deadline=None, database=None)
hypothesis_settings.load_profile("raccordo")


def shared_path() -> Path:
    """The read-only shared folder (corpus, eval sets), beside the repository by default."""
    return Path(os.environ.get("RACCORDO_SHARED_DIR", REPO.parent / "shared"))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The shared folder; tests that need it skip when it is absent (fail in CI)."""
    path = shared_path()
    if not (path / "corpus").is_dir():
        absent(f"cartella condivisa assente: {path}")
    return path


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium for the browser tests; skip when absent (fail in CI)."""
    path = find_chromium()
    if path is None:
        absent("Chromium assente: apt-get install chromium (o RACCORDO_CHROMIUM=percorso)")
    return path


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[object]:
    """Headless Debian Chromium driven by Playwright."""
    from playwright.sync_api import sync_playwright

    from tests.environment import CHROMIUM_ARGS

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def real_cache_dir() -> Path:
    """The embedding cache shared across runs on this machine (CI's included)."""
    return Path(os.environ.get("RACCORDO_CACHE_DIR", Path.home() / ".cache" / "raccordo"))


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings for a test: state in `data_dir`, the real embedding cache, no LLM.

    The per-client rate limit is off (every test client shares one address); the abuse
    tests turn it on where they test it.
    """
    values: dict[str, object] = {"data_dir": data_dir, "cache_dir": real_cache_dir(),
                                 "llm_base_url": None, "telegram_token": None,
                                 "rate_limit_api": 0}
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def demo_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A `Raccordo` over the repository's demo corpus, ingested once per test session.

    Tests must not modify it; build your own (see `fresh_service`) to ingest or delete.
    """
    from bot.app.service import Raccordo

    data = tmp_path_factory.mktemp("demo-data")
    service = Raccordo(make_settings(data))
    service.ingest(REPO / "corpus")
    yield service
    service.close()


@pytest.fixture()
def fresh_service(tmp_path: Path) -> Iterator[object]:
    """A `Raccordo` over the demo corpus in its own data dir, free to modify."""
    from bot.app.service import Raccordo

    service = Raccordo(make_settings(tmp_path / "data"))
    service.ingest(REPO / "corpus")
    yield service
    service.close()


@pytest.fixture(scope="session")
def shared_service(tmp_path_factory: pytest.TempPathFactory, shared_dir: Path
                   ) -> Iterator[object]:
    """A `Raccordo` over the whole shared corpus, ingested once per session (read-only).

    Embeddings come from the real cache (RACCORDO_CACHE_DIR or ~/.cache/raccordo), so only
    the first run on a machine pays the ~20 minutes of embedding.
    """
    from bot.app.service import Raccordo

    data = tmp_path_factory.mktemp("shared-data")
    service = Raccordo(make_settings(data))
    service.ingest(shared_dir / "corpus")
    yield service
    service.close()


@pytest.fixture(scope="session")
def squad_service(tmp_path_factory: pytest.TempPathFactory, shared_dir: Path
                  ) -> Iterator[object]:
    """A `Raccordo` over SQuAD-it's 48 articles, ingested once per session (read-only)."""
    from bot.app.service import Raccordo

    service = Raccordo(make_settings(tmp_path_factory.mktemp("squad-data")))
    service.ingest(shared_dir / "external" / "squad-it" / "docs")
    yield service
    service.close()


@pytest.fixture(scope="session")
def demo_server(demo_service: object) -> Iterator[object]:
    """uvicorn on 127.0.0.1 serving the API and pages over `demo_service`, once per session."""
    from bot.api import create_app
    from bot.api.background import BackgroundServer

    app = create_app(demo_service)  # type: ignore[arg-type]
    with BackgroundServer(app) as running:
        assert app.state.readiness.wait(180)
        yield running


@pytest.fixture(scope="session")
def pg_server() -> Iterator[object]:
    """One real PostgreSQL 16 with pgvector (the `pgserver` wheel) for the whole session.

    Its folder is not under pytest's base temp: run as root, the server runs as the user
    `pgserver`, which must traverse the folder's parents (pytest keeps its own at 0700).
    """
    import shutil
    import tempfile

    try:
        import pgserver
    except ImportError:
        absent("pgserver assente: pip install -e '.[dev]'")
    folder = Path(tempfile.mkdtemp(prefix="raccordo-pg-"))
    server = pgserver.get_server(folder, cleanup_mode="stop")
    yield server
    server.cleanup()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture()
def pg_url(pg_server: object) -> str:
    """The URL of a fresh, empty database on the session's server."""
    from tests.pg_kit import fresh_database

    return fresh_database(pg_server)


BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(params=BACKENDS)
def backend_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for a fresh data dir on each backend (a fresh database for PostgreSQL)."""
    if request.param == "sqlite":
        return make_settings(tmp_path / "data")
    url = request.getfixturevalue("pg_url")
    return make_settings(tmp_path / "data", database_url=url)
