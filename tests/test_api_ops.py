"""Probes, metrics, offline docs and headers of the HTTP front door."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_helpers import GatedEmbedder, ready_client
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from bot.api import create_app
from bot.api.deps import get_service
from bot.app.service import Raccordo
from index.generations import current_pointer


@pytest.fixture(scope="module")
def client(demo_service: Raccordo) -> Iterator[TestClient]:
    """The real app over the demo corpus."""
    with ready_client(demo_service) as c:
        yield c


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_is_503_until_loaded_then_reports_the_index(demo_service: Raccordo) -> None:
    gated = GatedEmbedder(demo_service.embedder)
    service = Raccordo(demo_service.settings, embedder=gated)  # type: ignore[arg-type]
    app = create_app(service)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            waiting = client.get("/readyz")
            assert waiting.status_code == 503
            assert waiting.json()["error"]["code"] == "non_pronto"
            assert client.get("/healthz").status_code == 200  # alive while loading
            gated.release()
            assert app.state.readiness.wait(60)
            ready = client.get("/readyz")
            assert ready.status_code == 200
            body = ready.json()
            counts = demo_service.store.counts()
            assert body["documents"] == counts["documents"] > 0
            assert body["chunks"] == counts["chunks"] > 0
            assert body["generation"] == current_pointer(demo_service.settings.index_dir)
            assert body["model"] == demo_service.embedder.model_id
    finally:
        service.close()


def test_empty_data_dir_is_not_ready_and_search_is_503(tmp_path: Path,
                                                       demo_service: Raccordo) -> None:
    settings = demo_service.settings.model_copy(update={"data_dir": tmp_path / "vuota"})
    service = Raccordo(settings, embedder=demo_service.embedder)
    app = create_app(service)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            deadline = time.monotonic() + 30
            while app.state.readiness.error is None and time.monotonic() < deadline:
                time.sleep(0.05)
            response = client.get("/readyz")
            assert response.status_code == 503
            assert "ingest" in response.json()["error"]["message"]
            search = client.get("/api/search", params={"q": "comuni"})
            assert search.status_code == 503
            assert search.json()["error"]["code"]
    finally:
        service.close()


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_metrics_count_searches_questions_abstentions_and_latency(client: TestClient) -> None:
    def value(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return _samples(client.get("/metrics").text).get(key, 0.0)

    searches = value("raccordo_searches_total", channel="api")
    questions = value("raccordo_questions_total", channel="api")
    abstentions = value("raccordo_abstentions_total", channel="api")
    assert client.get("/api/search", params={"q": "comuni"}).status_code == 200
    answer = client.post("/api/ask", json={"question": "ricetta della carbonara con guanciale"})
    assert answer.status_code == 200
    assert value("raccordo_searches_total", channel="api") == searches + 1
    assert value("raccordo_questions_total", channel="api") == questions + 1
    assert value("raccordo_abstentions_total", channel="api") == \
        abstentions + (1 if answer.json()["abstained"] else 0)
    text = client.get("/metrics").text
    assert re.search(r'raccordo_http_request_duration_seconds_count\{[^}]*route="/api/search"',
                     text)
    assert "raccordo_ingests_total" in text or "raccordo_ingests" in text


def test_docs_work_offline(client: TestClient) -> None:
    for page in ("/docs", "/redoc"):
        response = client.get(page)
        assert response.status_code == 200
        html = response.text
        assert not re.search(r"(?:src|href)=[\"']?(?:https?:)?//", html), page
        assert "cdn" not in html.lower()
        assets = re.findall(r"(?:src|href)=[\"']([^\"']+\.(?:js|css|png))", html)
        assert assets, page
        for asset in assets:
            assert asset.startswith("/"), asset
            assert client.get(asset).status_code == 200, asset
    schema = client.get("/openapi.json").json()
    assert {"/api/search", "/api/ask", "/api/documents", "/api/documents/{doc_id}",
            "/readyz"} <= set(schema["paths"])


def test_security_headers(client: TestClient) -> None:
    page = client.get("/")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    for docs in ("/docs", "/redoc"):  # the docs get a CSP too, never framed
        assert "frame-ancestors 'none'" in client.get(docs).headers["content-security-policy"]


def test_service_dependency_can_be_overridden(demo_service: Raccordo, tmp_path: Path) -> None:
    app = create_app(demo_service)
    empty = Raccordo(demo_service.settings.model_copy(update={"data_dir": tmp_path / "altro"}),
                     embedder=demo_service.embedder)
    app.dependency_overrides[get_service] = lambda: empty
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            listed = client.get("/api/documents").json()
            assert listed["total"] == 0  # the override's store, not the demo corpus
    finally:
        empty.close()
