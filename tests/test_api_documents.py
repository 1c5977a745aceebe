"""Documents over HTTP: list, detail, and upload → search → delete with a write key."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import numpy as np
import pytest
from api_helpers import (
    UPLOAD_TEXT,
    bearer,
    ready_client,
    sibling_service,
    upload,
    wait_for_job,
)
from fastapi.testclient import TestClient

from bot.api import create_app
from bot.api.background import BackgroundServer
from bot.app.service import Raccordo


@pytest.fixture(scope="module")
def client(demo_service: Raccordo) -> Iterator[TestClient]:
    """The real app over the demo corpus (read-only use)."""
    with ready_client(demo_service) as c:
        yield c


def test_list_is_paginated_and_filterable(client: TestClient, demo_service: Raccordo) -> None:
    stored = demo_service.store.documents()
    first = client.get("/api/documents", params={"per_page": 2}).json()
    assert first["total"] == len(stored)
    assert [d["id"] for d in first["documents"]] == [d.id for d in stored[:2]]
    second = client.get("/api/documents", params={"per_page": 2, "page": 2}).json()
    assert [d["id"] for d in second["documents"]] == [d.id for d in stored[2:4]]
    beyond = client.get("/api/documents", params={"per_page": 200, "page": 50}).json()
    assert beyond["documents"] == [] and beyond["total"] == len(stored)
    city = next(d.meta.city for d in stored if d.meta.city)
    by_city = client.get("/api/documents", params={"city": city.upper()}).json()
    assert by_city["total"] == sum(1 for d in stored if d.meta.city == city) > 0
    kind = stored[0].meta.kind
    by_kind = client.get("/api/documents", params={"kind": kind, "per_page": 200}).json()
    assert {d["kind"] for d in by_kind["documents"]} == {kind}
    indexed = client.get("/api/documents", params={"status": "indexed"}).json()
    assert indexed["total"] == demo_service.store.counts()["documents"]


def test_detail_lists_chunks_with_locators(client: TestClient, demo_service: Raccordo) -> None:
    doc = demo_service.store.documents()[0]
    body = client.get(f"/api/documents/{doc.id}").json()
    assert body["document"]["id"] == doc.id and body["document"]["title"] == doc.meta.title
    chunks = demo_service.store.chunks(doc.id)
    assert [c["id"] for c in body["chunks"]] == [c.id for c in chunks]
    assert [c["locator"] for c in body["chunks"]] == [c.locator.label() for c in chunks]
    assert all(c["text"] for c in body["chunks"])


def _search_files(client: TestClient | httpx.Client, query: str) -> list[str]:
    response = client.get("/api/search", params={"q": query, "k": 5})
    assert response.status_code == 200
    return [h["file"] for h in response.json()["hits"]]


def test_upload_then_search_then_delete(fresh_service: Raccordo) -> None:
    secret = fresh_service.appdb.create_api_key("write", "test-upload")
    with ready_client(fresh_service) as client:
        before = fresh_service.store.counts()
        broken = upload(client, secret, files={"file": (
            "rotto.pdf", b"%PDF-1.7\n\x00\x01 non un pdf", "application/pdf")})
        assert broken["status"] == "rejected", broken
        assert broken["error"]["code"] == "documento_non_leggibile"
        assert fresh_service.store.counts() == before
        assert not any((fresh_service.settings.uploads_dir / "api").glob("rotto*"))

        job = upload(
            client, secret,
            files={"file": ("sportello zanzariere.md", UPLOAD_TEXT.encode(), "text/markdown")},
            data={"title": "Regolamento zanzariere", "kind": "regulation", "city": "Bologna",
                  "year": "2024", "url": "https://example.org/zanzariere"})
        assert job["status"] == "indexed", job
        document = job["document"]
        assert document["title"] == "Regolamento zanzariere"
        assert (document["kind"], document["city"], document["year"]) == \
            ("regulation", "Bologna", 2024)
        assert document["chunks"] > 0
        assert job["generation"]
        stored = fresh_service.store.document(document["id"])
        assert stored is not None
        saved = Path(stored.source) / stored.file
        assert saved.is_file() and saved.is_relative_to(fresh_service.settings.uploads_dir)

        assert _search_files(client, "nulla osta zanzariere")[0] == document["file"]
        detail = client.get(f"/api/documents/{document['id']}").json()
        assert any(c["article"] == "2" for c in detail["chunks"])

        deleted = client.delete(f"/api/documents/{document['id']}", headers=bearer(secret))
        assert deleted.status_code == 200 and deleted.json()["deleted"] is True
        assert document["file"] not in _search_files(client, "nulla osta zanzariere")
        assert client.get(f"/api/documents/{document['id']}").status_code == 404
        assert not saved.exists()
        again = client.delete(f"/api/documents/{document['id']}", headers=bearer(secret))
        assert again.status_code == 404
        metrics = client.get("/metrics").text
        assert 'raccordo_ingests_total{result="indexed"} 1.0' in metrics
        assert 'raccordo_ingests_total{result="rejected"} 1.0' in metrics
        assert "raccordo_deletions_total 1.0" in metrics


@pytest.mark.parametrize(("files", "data", "status"), [
    ({"file": ("vuoto.md", b"", "text/markdown")}, {}, 400),
    ({"file": ("a.md", b"# A\n\ntesto", "text/markdown")}, {"kind": "xyz"}, 422),
    ({"file": ("a.md", b"# A\n\ntesto", "text/markdown")}, {"year": "abc"}, 422),
    ({}, {"title": "senza file"}, 422),
])
def test_bad_uploads_are_4xx(demo_service: Raccordo, client: TestClient,
                             files: dict[str, tuple[str, bytes, str]], data: dict[str, str],
                             status: int) -> None:
    secret = demo_service.appdb.create_api_key("write", "test-bad-upload")
    before = demo_service.store.counts()
    response = client.post("/api/documents", headers=bearer(secret), files=files or None,
                           data=data)
    assert response.status_code == status, response.text
    assert demo_service.store.counts() == before


def test_upload_over_the_limit_is_413(demo_service: Raccordo) -> None:
    small = sibling_service(demo_service, max_upload_mb=1)
    secret = small.appdb.create_api_key("write", "test-limit")
    try:
        with ready_client(small) as client:
            body = b"# Grande\n\n" + b"parola " * 300_000  # ~2 MB
            response = client.post("/api/documents", headers=bearer(secret),
                                   files={"file": ("grande.md", body, "text/markdown")})
            assert response.status_code == 413
            assert response.json()["error"]["code"] == "troppo_grande"
    finally:
        small.close()


class PassageGate:
    """The real embedder, with passage embedding held until released (a slow ingest)."""

    def __init__(self, inner: object) -> None:
        self._inner = inner
        self.entered = threading.Event()
        self.gate = threading.Event()
        self.model_id: str = inner.model_id  # type: ignore[attr-defined]
        self.dim: int = inner.dim  # type: ignore[attr-defined]

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Queries pass straight through."""
        return np.asarray(self._inner.embed_queries(texts))  # type: ignore[attr-defined]

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Signal, then wait for the test to release the build."""
        self.entered.set()
        self.gate.wait(60)
        return np.asarray(self._inner.embed_passages(texts))  # type: ignore[attr-defined]


def test_uploads_never_block_searches(fresh_service: Raccordo) -> None:
    assert fresh_service.writer_embedder is not fresh_service.embedder  # own engine
    gate = PassageGate(fresh_service.embedder)
    fresh_service.writer_embedder = gate  # type: ignore[misc]  # the ingest side waits here
    secret = fresh_service.appdb.create_api_key("write", "test-concurrency")
    nonce = uuid.uuid4().hex  # new text: never in the embedding cache
    text = UPLOAD_TEXT + f"\nCodice pratica {nonce}.\n"
    try:
        with BackgroundServer(create_app(fresh_service)) as server, \
                httpx.Client(base_url=server.url, timeout=60) as http:
            accepted = http.post(
                "/api/documents", headers=bearer(secret),
                files={"file": ("zanzariere.md", text.encode(), "text/markdown")})
            assert accepted.status_code == 202, accepted.text  # answered before ingestion
            assert gate.entered.wait(60), "the upload never reached the index build"
            for _ in range(3):  # several searches while the build is held
                during = http.get("/api/search", params={"q": "nulla osta zanzariere"})
                assert during.status_code == 200  # served from the old generation
                assert not any("zanzariere" in h["file"] for h in during.json()["hits"])
            assert http.post("/api/ask", json={"question": "zanzariere"}).status_code == 200
            job = http.get(accepted.json()["status_url"], headers=bearer(secret)).json()
            assert job["status"] == "running"  # the upload was still waiting all along
            gate.gate.set()
            assert wait_for_job(http, job, secret)["status"] == "indexed"
            assert "zanzariere" in _search_files(http, "nulla osta zanzariere")[0]
    finally:
        gate.gate.set()
