"""API keys at the HTTP edge: 401 without or with a wrong key, 403 without rights."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_helpers import bearer, ready_client, sibling_service
from fastapi.testclient import TestClient

from bot.app.service import Raccordo


@pytest.fixture(scope="module")
def client(demo_service: Raccordo) -> Iterator[TestClient]:
    """The real app over the demo corpus."""
    with ready_client(demo_service) as c:
        yield c


@pytest.fixture(scope="module")
def keys(demo_service: Raccordo) -> dict[str, str]:
    """One fresh key per role (keys do not touch documents)."""
    return {role: demo_service.appdb.create_api_key(role, f"test-{role}")
            for role in ("read", "write", "admin")}


def _error_code(response: object) -> str:
    return str(response.json()["error"]["code"])  # type: ignore[attr-defined]


def test_write_without_key_is_401(client: TestClient) -> None:
    response = client.delete("/api/documents/1")
    assert response.status_code == 401
    assert _error_code(response) == "non_autenticato"
    assert response.headers["www-authenticate"] == "Bearer"
    assert "chiave" in response.json()["error"]["message"].lower()


def test_wrong_key_is_401_on_write_and_read(client: TestClient) -> None:
    wrong = bearer("rcd_non-esiste")
    assert client.delete("/api/documents/1", headers=wrong).status_code == 401
    response = client.get("/api/search", params={"q": "comuni"}, headers=wrong)
    assert response.status_code == 401
    assert _error_code(response) == "non_autenticato"


def test_read_key_cannot_write(client: TestClient, keys: dict[str, str],
                               demo_service: Raccordo) -> None:
    before = demo_service.store.counts()
    response = client.post("/api/documents", headers=bearer(keys["read"]),
                           files={"file": ("nota.md", b"# Nota\n\nProva.", "text/markdown")})
    assert response.status_code == 403
    assert _error_code(response) == "accesso_negato"
    assert demo_service.store.counts() == before
    assert client.delete("/api/documents/1", headers=bearer(keys["read"])).status_code == 403


@pytest.mark.parametrize("role", ["write", "admin"])
def test_write_and_admin_keys_pass_auth(client: TestClient, keys: dict[str, str],
                                        role: str) -> None:
    # an id that names nothing: past authentication, the request reaches the store
    response = client.delete("/api/documents/999999", headers=bearer(keys[role]))
    assert response.status_code == 404
    assert _error_code(response) == "non_trovato"


def test_read_key_works_on_reads(client: TestClient, keys: dict[str, str]) -> None:
    response = client.get("/api/search", params={"q": "comuni"}, headers=bearer(keys["read"]))
    assert response.status_code == 200


def test_revoked_key_is_refused(client: TestClient, demo_service: Raccordo) -> None:
    secret = demo_service.appdb.create_api_key("write", "da-revocare")
    key = demo_service.appdb.check_api_key(secret)
    assert key is not None
    assert client.delete("/api/documents/999999", headers=bearer(secret)).status_code == 404
    assert demo_service.appdb.revoke_api_key(key.id)
    assert client.delete("/api/documents/999999", headers=bearer(secret)).status_code == 401


def test_required_key_closes_reads(demo_service: Raccordo, keys: dict[str, str]) -> None:
    closed = sibling_service(demo_service, api_require_key=True)
    try:
        with ready_client(closed) as client:
            anonymous = client.get("/api/search", params={"q": "comuni"})
            assert anonymous.status_code == 401
            assert client.get("/api/documents").status_code == 401
            ok = client.get("/api/search", params={"q": "comuni"}, headers=bearer(keys["read"]))
            assert ok.status_code == 200
            assert client.get("/healthz").status_code == 200  # probes stay open
    finally:
        closed.close()
