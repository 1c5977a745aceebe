"""Issue 16, findings 4 and 7: uploads in the background with limits; the cache stays home."""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from api_helpers import UPLOAD_TEXT, bearer, upload, wait_for_job
from test_abuse_search import serving

from bot.app.service import Raccordo
from bot.app.settings import Settings


def _docx_with_text(chars: int) -> bytes:
    """A small DOCX (it compresses well) holding `chars` characters of text."""
    import docx

    document = docx.Document()
    for _ in range(chars // 10_000):
        document.add_paragraph("parola ripetuta " * 625)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_extracted_text_over_the_limit_is_refused_in_italian(demo_service: Raccordo) -> None:
    data = _docx_with_text(2_000_000)
    assert len(data) < 200_000  # a small file whose XML holds megabytes of text
    with serving(demo_service, rate_limit_api=0, max_upload_chars=100_000) as (service, http):
        secret = service.appdb.create_api_key("write", "test-text-limit")
        before = service.store.counts()
        job = upload(http, secret, files={"file": ("bomba.docx", data, "application/octet-stream")})
        assert job["status"] == "rejected"
        assert job["error"]["code"] == "documento_non_leggibile"
        assert "testo estratto troppo lungo" in job["error"]["message"]
        assert "100.000" in job["error"]["message"]
        assert service.store.counts() == before


def test_too_many_chunks_are_refused(demo_service: Raccordo) -> None:
    with serving(demo_service, rate_limit_api=0, max_upload_chunks=1) as (service, http):
        secret = service.appdb.create_api_key("write", "test-chunk-limit")
        job = upload(http, secret,
                     files={"file": ("zanzariere.md", UPLOAD_TEXT.encode(), "text/markdown")})
        assert job["status"] == "rejected"
        assert "troppi passaggi" in job["error"]["message"]


class HeldWriter:
    """The real passage embedder, held until `release` (an upload stuck mid-ingestion)."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.model_id: str = inner.model_id  # type: ignore[attr-defined]
        self.dim: int = inner.dim  # type: ignore[attr-defined]
        self.entered = threading.Event()
        self.release = threading.Event()

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Queries pass straight through."""
        return np.asarray(self.inner.embed_queries(texts))  # type: ignore[attr-defined]

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Signal, then wait for the test."""
        self.entered.set()
        self.release.wait(120)
        return np.asarray(self.inner.embed_passages(texts))  # type: ignore[attr-defined]


def test_uploads_queue_in_the_background_and_a_full_queue_is_503(
        fresh_service: Raccordo, tmp_path: Path) -> None:
    import uuid

    with serving(fresh_service, rate_limit_api=0, upload_queue=1) as (service, http):
        held = HeldWriter(service.embedder.inner)
        service.writer_embedder = held  # type: ignore[misc]
        secret = service.appdb.create_api_key("write", "test-queue")
        text = UPLOAD_TEXT + f"\nPratica {uuid.uuid4().hex}.\n"  # never in the cache
        try:
            first = http.post("/api/documents", headers=bearer(secret),
                              files={"file": ("primo.md", text.encode(), "text/markdown")})
            assert first.status_code == 202
            assert held.entered.wait(60)
            second = http.post("/api/documents", headers=bearer(secret),
                               files={"file": ("secondo.md", b"# Due\n\nTesto.", "text/markdown")})
            assert second.status_code == 503 and second.json()["error"]["code"] == "occupato"
            assert int(second.headers["retry-after"]) >= 1
            assert not list((service.settings.uploads_dir / "api").glob("secondo*"))
            assert http.get("/api/search", params={"q": "comune"}).status_code == 200
            status = http.get(first.json()["status_url"], headers=bearer(secret))
            assert status.json()["status"] == "running"
            assert http.get(first.json()["status_url"]).status_code == 401
        finally:
            held.release.set()
        assert wait_for_job(http, first.json()["job"], secret)["status"] == "indexed"
        assert http.get("/api/jobs/sconosciuto", headers=bearer(secret)).status_code == 404


def test_the_embedding_cache_lives_in_the_data_dir(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RACCORDO_CACHE_DIR", raising=False)
    settings = Settings(data_dir=tmp_path / "data")
    assert settings.embedding_cache_dir == tmp_path / "data" / "cache"
    monkeypatch.setenv("RACCORDO_CACHE_DIR", str(tmp_path / "altrove"))
    assert Settings(data_dir=tmp_path / "data").embedding_cache_dir == tmp_path / "altrove"


def test_uploaded_embeddings_stay_inside_the_deployment(demo_service: Raccordo,
                                                        tmp_path: Path) -> None:
    settings = demo_service.settings.model_copy(update={"data_dir": tmp_path / "data",
                                                        "cache_dir": None})
    service = Raccordo(settings, embedder=demo_service.embedder.inner)
    try:
        note = tmp_path / "nota.md"
        note.write_text("# Nota\n\nUna nota breve sul trasporto locale.\n", encoding="utf-8")
        service.add_file(note, {})
        assert (tmp_path / "data" / "cache" / "embeddings.sqlite").is_file()
    finally:
        service.close()
