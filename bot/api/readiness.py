"""Background loading of the database, model and index; what /readyz reports."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from bot.app.service import Raccordo
from ingest.errors import RaccordoError

log = logging.getLogger(__name__)


class Readiness:
    """Loads the service's parts in a daemon thread; ready once all of them answered."""

    def __init__(self, service: Raccordo) -> None:
        self._service = service
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.error: str | None = None

    def start(self) -> None:
        """Start loading (again, if an earlier attempt failed); never blocks."""
        with self._lock:
            if self._ready.is_set() or (self._thread is not None and self._thread.is_alive()):
                return
            self._thread = threading.Thread(target=self._load, name="raccordo-load", daemon=True)
            self._thread.start()

    def join(self) -> None:
        """Wait for a load under way to end (at shutdown, before the service is closed)."""
        thread = self._thread
        if thread is not None:
            thread.join()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until ready (for scripts and tests); True when ready."""
        return self._ready.wait(timeout)

    @property
    def ready(self) -> bool:
        """True when the database, the model and the index are loaded."""
        return self._ready.is_set()

    def _load(self) -> None:
        service = self._service
        try:
            service.store.counts()
            _ = service.appdb
            _ = service.embedder
            _ = service.searcher
            _ = service.answerer  # loads the re-ranking model (or records why it is off)
            service.search("prova", k=1)  # loads the index and warms the model
        except RaccordoError as exc:
            self.error = str(exc)
            log.warning("servizio non pronto: %s", exc)
            return
        except Exception as exc:  # a crash here must not kill the server, only readiness
            self.error = "Caricamento non riuscito: vedi i log del server."
            log.exception("caricamento non riuscito: %s", type(exc).__name__)
            return
        self.error = None
        self._ready.set()

    def status(self) -> dict[str, Any]:
        """Generation, counts and model name (call only when ready)."""
        service = self._service
        counts = service.store.counts()
        return {"status": "pronto", "generation": generation_of(service),
                "documents": counts["documents"], "chunks": counts["chunks"],
                "model": str(getattr(service.embedder, "model_id", service.settings.embedder)),
                "ranker": service.ranker_status, "backend": service.backend}


def generation_of(service: Raccordo) -> str | None:
    """The index generation the searcher serves (or, failing that, the published one)."""
    searcher = service.__dict__.get("searcher")  # never build the searcher just to ask
    if searcher is not None:
        try:
            return str(searcher.generation.pointer)
        except RaccordoError:
            return None
    if service.backend == "postgresql":
        return None
    return _published_generation(service.settings.index_dir)


def _published_generation(index_dir: Path) -> str | None:
    current = index_dir / "CURRENT"
    try:
        name = current.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return name or None
