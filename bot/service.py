"""Service wiring: builds store, embedder, searcher and answerer from Settings."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from bot.settings import Settings
from index.models import Filters, Hit
from ingest.store import Store

if TYPE_CHECKING:
    from bot.answerer import Answerer
    from bot.appdb import AppDB
    from bot.models import Answer, Turn
    from index.embedders import Embedder
    from index.searcher import Searcher
    from ingest.pipeline import IngestReport

log = logging.getLogger(__name__)


class Raccordo:
    """The application object every front door uses; parts are built lazily and once."""

    def __init__(self, settings: Settings, *, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self._embedder = embedder
        self._write_lock = threading.Lock()  # one ingest/index build at a time

    # ---- parts --------------------------------------------------------------------------
    @cached_property
    def store(self) -> Store:
        """The SQLite store of documents and chunks."""
        return Store(self.settings.db_path)

    @cached_property
    def appdb(self) -> AppDB:
        """Application state (users, feedback, contributions, keys...)."""
        from bot.appdb import AppDB

        return AppDB(self.store.connection)

    @property
    def embedder(self) -> Embedder:
        """The configured embedder (loaded on first use)."""
        if self._embedder is None:
            from index.embedders import make_embedder

            self._embedder = make_embedder(self.settings.embedder, self.settings.model)
        return self._embedder

    @cached_property
    def searcher(self) -> Searcher:
        """The searcher over the published index generation (hot-reloads new ones)."""
        from index.searcher import Searcher

        return Searcher(self.store, self.settings.index_dir, self.embedder)

    @cached_property
    def answerer(self) -> Answerer:
        """The answer composer (extractive, or LLM when configured)."""
        from bot.answerer import Answerer
        from bot.llm import llm_from_settings

        return Answerer(self.searcher, llm=llm_from_settings(self.settings))

    # ---- operations -----------------------------------------------------------------------
    def ingest(self, path: Path, *, rebuild: bool = False, reembed: bool = False,
               progress: bool = False) -> IngestReport:
        """Ingest a folder (or file) incrementally, then publish a new index if needed."""
        from ingest.pipeline import ingest_path

        with self._write_lock:
            report = ingest_path(path, self.store, rebuild=rebuild, progress=progress)
            self.build_index(force=rebuild or reembed, progress=progress)
        return report

    def build_index(self, *, force: bool = False, progress: bool = False) -> None:
        """Publish a new index generation when the store changed (or when forced)."""
        from index.builder import build_index

        info = build_index(self.store, self.embedder, self.settings.index_dir,
                           self.settings.cache_dir, flat_max=self.settings.flat_max,
                           progress=progress, force=force)
        if info is not None:
            log.info("published index generation %s", info.generation)
            self._after_build()

    def _after_build(self) -> None:
        """Hook for post-build work (theme tagging); kept small on purpose."""
        try:
            from bot.themes import tag_store
        except ImportError:  # themes module not available
            return
        tag_store(self)

    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> list[Hit]:
        """Ranked passages for a query."""
        return self.searcher.search(query, k=k, filters=filters or Filters())

    def ask(self, question: str, history: Sequence[Turn] = (),
            filters: Filters | None = None) -> Answer:
        """A cited answer (or an abstention) for a question."""
        return self.answerer.answer(question, history=history, filters=filters or Filters())

    def close(self) -> None:
        """Release the store connection."""
        if "store" in self.__dict__:
            self.store.close()
