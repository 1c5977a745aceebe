"""Issue 16, findings 2, 3 and 6: closed reads, keys before bodies, slow clients, Low items.

Every test talks HTTP to a real uvicorn on 127.0.0.1 (raw sockets where a client must
misbehave on purpose).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from functools import partial

import httpx
import pytest
from api_helpers import bearer
from test_abuse_search import serving

from bot.api.http import TimedH11Protocol
from bot.api.uploads import safe_name
from bot.app.service import Raccordo

SECRET_TEXT_PATHS = ("/", "/?q=comune&mode=chiedi", "/?q=comune", "/documenti",
                     "/documenti/1", "/dashboard")


@pytest.fixture(scope="module")
def closed(demo_service: Raccordo) -> Iterator[tuple[Raccordo, httpx.Client]]:
    """The demo corpus with RACCORDO_API_REQUIRE_KEY=true."""
    with serving(demo_service, api_require_key=True, rate_limit_api=0) as running:
        yield running


@pytest.fixture(scope="module")
def open_server(demo_service: Raccordo) -> Iterator[tuple[Raccordo, httpx.Client]]:
    """The demo corpus with open reads and short timeouts for slow clients."""
    with serving(demo_service, rate_limit_api=0, http_body_timeout_s=1.0) as running:
        yield running


def _raw(url: str, data: bytes, *, timeout: float = 30) -> bytes:
    """Send bytes on a fresh connection and read until the server closes it or answers."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(data)
        chunks: list[bytes] = []
        while True:
            try:
                part = sock.recv(65536)
            except ConnectionResetError:
                break
            if not part:
                break
            chunks.append(part)
            if b"\r\n\r\n" in b"".join(chunks):
                break
        return b"".join(chunks)


# ---- 2. closed reads close every read ---------------------------------------------------
@pytest.mark.parametrize("path", SECRET_TEXT_PATHS)
def test_closed_reads_close_every_page(closed: tuple[Raccordo, httpx.Client], path: str
                                       ) -> None:
    service, http = closed
    response = http.get(path)
    assert response.status_code == 401
    assert 'action="/accesso"' in response.text and 'name="chiave"' in response.text
    title = service.store.documents()[0].meta.title
    assert title not in response.text  # nothing of the knowledge base leaks


def test_closed_reads_close_the_api_but_not_the_probes(closed: tuple[Raccordo, httpx.Client]
                                                       ) -> None:
    _, http = closed
    for path in ("/api/stats", "/api/documents", "/api/documents/1", "/api/search?q=comune"):
        assert http.get(path).status_code == 401, path
    assert http.get("/healthz").status_code == 200
    assert http.get("/readyz").status_code == 200


def test_login_sets_an_httponly_samesite_cookie(closed: tuple[Raccordo, httpx.Client]) -> None:
    service, http = closed
    secret = service.appdb.create_api_key("read", "test-login")
    wrong = http.post("/accesso", data={"chiave": "rcd_sbagliata", "next": "/documenti"})
    assert wrong.status_code == 401 and "non valida" in wrong.text
    with httpx.Client(base_url=str(http.base_url), timeout=60) as browser:
        ok = browser.post("/accesso", data={"chiave": secret, "next": "/documenti"})
        assert ok.status_code == 303 and ok.headers["location"] == "/documenti"
        cookie = ok.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
        for path in SECRET_TEXT_PATHS:
            assert browser.get(path).status_code == 200, path
        assert browser.get("/api/search", params={"q": "comune"}).status_code == 200
        assert browser.post("/esci").status_code == 303
        browser.cookies.clear()
        assert browser.get("/documenti").status_code == 401
    assert http.get("/documenti", headers=bearer(secret)).status_code == 200
    service.appdb.revoke_api_key(service.appdb.check_api_key(secret).id)  # type: ignore[union-attr]
    assert http.get("/documenti", cookies={"raccordo_chiave": secret}).status_code == 401


def test_login_never_redirects_off_site(closed: tuple[Raccordo, httpx.Client]) -> None:
    service, http = closed
    secret = service.appdb.create_api_key("read", "test-login-next")
    for target in ("//evil.example", "/\\evil.example", "https://evil.example", "/ok\r\nX: y"):
        response = http.post("/accesso", data={"chiave": secret, "next": target})
        assert response.headers["location"] == "/", target


# ---- 3. keys before bodies, slow clients -------------------------------------------------
def test_uploads_are_refused_before_their_body_is_read(
        open_server: tuple[Raccordo, httpx.Client]) -> None:
    service, http = open_server
    read_key = service.appdb.create_api_key("read", "test-early-403")
    uploads = service.settings.uploads_dir / "api"
    before = set(uploads.glob(".upload-*")) if uploads.exists() else set()
    head = ("POST /api/documents HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: multipart/form-data; boundary=xyz\r\n"
            "Content-Length: 15728640\r\n{auth}\r\n")
    for auth, status in (("", b" 401 "), ("Authorization: Bearer rcd_falsa\r\n", b" 401 "),
                         (f"Authorization: Bearer {read_key}\r\n", b" 403 ")):
        # 64 kB of a declared 15 MB: the answer comes without the rest of the body
        answer = _raw(str(http.base_url), head.format(auth=auth).encode() + b"x" * 65536)
        assert answer.startswith(b"HTTP/1.1" + status), answer[:200]
    after = set(uploads.glob(".upload-*")) if uploads.exists() else set()
    assert after == before


def test_slow_headers_are_cut(demo_service: Raccordo) -> None:
    from bot.api import create_app
    from bot.api.background import BackgroundServer

    app = create_app(demo_service)
    protocol = partial(TimedH11Protocol, header_timeout_s=1.0)
    with BackgroundServer(app, http=protocol) as server:
        answer = _raw(server.url, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        assert answer == b""  # closed by the server long before the socket timeout
        fine = _raw(server.url, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert fine.startswith(b"HTTP/1.1 200")


def test_slow_bodies_get_408(open_server: tuple[Raccordo, httpx.Client]) -> None:
    _, http = open_server
    answer = _raw(str(http.base_url), b"POST /api/feedback HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"vote\"")
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]


def test_connections_beyond_the_limit_get_503(demo_service: Raccordo) -> None:
    with serving(demo_service, rate_limit_api=0, http_limit_concurrency=3) as (_, http):
        host, port = str(http.base_url).removeprefix("http://").split(":")
        idle = [socket.create_connection((host, int(port)), timeout=30) for _ in range(3)]
        try:
            for sock in idle:
                sock.sendall(b"GET /healthz HTTP/1.1\r\n")  # headers never finished
            codes = set()
            for _ in range(50):  # until uvicorn has accepted the idle ones
                with httpx.Client(base_url=str(http.base_url), timeout=30) as fresh:
                    codes.add(fresh.get("/healthz").status_code)
                if 503 in codes:
                    break
            assert 503 in codes
        finally:
            for sock in idle:
                sock.close()


# ---- 6. Low ------------------------------------------------------------------------------
@pytest.mark.parametrize(("path", "status"), [
    ("/?q=comune&year=%C2%B2", 400),
    ("/documenti?year=" + "9" * 5000, 400),
    ("/documenti/99999999999999999999999", 422),
    ("/documenti/0", 422),
])
def test_odd_parameters_are_4xx_not_500(open_server: tuple[Raccordo, httpx.Client], path: str,
                                        status: int) -> None:
    _, http = open_server
    response = http.get(path)
    assert response.status_code == status, response.text[:300]


def test_feedback_back_link_stays_on_site(open_server: tuple[Raccordo, httpx.Client]) -> None:
    _, http = open_server
    for back in ("/\\evil.example", "//evil.example", "https://evil.example", "/\tevil"):
        page = http.post("/feedback", data={"vote": "1", "back": back})
        assert page.status_code == 200
        assert 'href="/">Torna' in page.text, back


def test_cross_site_posts_are_refused(open_server: tuple[Raccordo, httpx.Client]) -> None:
    service, http = open_server
    before = len(service.appdb.feedback_rows())
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"},
                    {"Origin": "null"}):
        assert http.post("/feedback", data={"vote": "1"}, headers=headers).status_code == 403
        assert http.post("/api/feedback", json={"vote": 1}, headers=headers).status_code == 403
    assert len(service.appdb.feedback_rows()) == before
    same = {"Origin": str(http.base_url).rstrip("/"), "Sec-Fetch-Site": "same-origin"}
    assert http.post("/api/feedback", json={"vote": 1}, headers=same).status_code == 201


def test_chunked_oversize_body_is_413(open_server: tuple[Raccordo, httpx.Client]) -> None:
    _, http = open_server

    def body() -> Iterator[bytes]:
        for _ in range(40):
            yield b"x" * 65536  # 2.5 MB, chunked (no Content-Length)

    response = http.post("/api/feedback", content=body(),
                         headers={"Content-Type": "application/json"})
    assert response.status_code == 413


def test_redirects_never_echo_the_host_header(open_server: tuple[Raccordo, httpx.Client]
                                              ) -> None:
    _, http = open_server
    response = http.get("/api/documents/", headers={"Host": "evil.example"})
    assert response.is_redirect
    assert "evil" not in response.headers["location"]
    assert response.headers["location"].startswith("/api/documents")


def test_docs_have_a_csp_and_cannot_be_framed(open_server: tuple[Raccordo, httpx.Client]
                                              ) -> None:
    _, http = open_server
    for path in ("/docs", "/redoc"):
        response = http.get(path)
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-frame-options"] == "DENY"


def test_long_file_names_keep_their_extension() -> None:
    name = safe_name("a" * 300 + ".pdf")
    assert len(name) == 120 and name.endswith(".pdf")
    assert safe_name("relazione.docx") == "relazione.docx"
    assert safe_name("../../" + "b" * 200 + ".tar.md").endswith(".md")
