"""HTTP routes of the practice network, and the dashboard in headless Chromium."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api_helpers import ready_client, sibling_service
from tests.environment import CHROMIUM_ARGS


def _doc(service: Any, city: str) -> Any:
    return next(d for d in service.store.documents() if d.meta.city == city)


def test_similar_routes(demo_service: Any) -> None:
    torino = _doc(demo_service, "Torino")
    with ready_client(demo_service) as client:
        r = client.get(f"/api/documents/{torino.id}/similar", params={"k": 3,
                                                                      "other_cities": True})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["document"]["id"] == torino.id and body["document"]["themes"]
        assert 1 <= len(body["similar"]) <= 3
        assert all(s["city"] != "Torino" and s["matches"] for s in body["similar"])
        assert client.get("/api/documents/999999/similar").status_code == 404
        assert client.get(f"/api/documents/{torino.id}/similar?k=0").status_code == 422
        r = client.post("/api/similar", json={"text": "Un osservatorio dei dati dei comuni "
                                                      "con un responsabile digitale associato.",
                                              "k": 2})
        assert r.status_code == 200, r.text
        assert r.json()["similar"][0]["city"] == "Firenze"
        assert client.post("/api/similar", json={"text": "  "}).status_code == 422


def test_compare_and_stats_routes(demo_service: Any) -> None:
    with ready_client(demo_service) as client:
        r = client.post("/api/compare", json={"question": "Come funziona la stazione unica "
                                                          "appaltante per le opere PNRR?",
                                              "filters": {"kind": "practice"}})
        assert r.status_code == 200, r.text
        body = r.json()
        assert "Palermo" in body["nothing"]
        assert {c["city"] for c in body["cities"]}.isdisjoint(body["nothing"])
        assert all(c["citations"] for c in body["cities"])
        bad = client.post("/api/compare", json={"question": "x", "filters": {"colore": "blu"}})
        assert bad.status_code == 422
        stats = client.get("/api/stats").json()
        assert stats["documents"]["by_city"]["Genova"] == 1
        assert stats["documents"]["by_kind"]["practice"] == 8
        assert stats["documents"]["by_theme"]["uffici_unici"] >= 3
        assert client.get("/api/stats", params={"since": "ieri"}).status_code == 422


@pytest.fixture()
def live_dashboard(fresh_service: Any) -> Iterator[str]:
    """A real uvicorn server on 127.0.0.1 with a question log that has gaps."""
    import uvicorn

    from bot.answers.terms import terms
    from bot.api import create_app

    service = sibling_service(fresh_service, log_questions=True)
    db = service.appdb
    for q in ("Regolamento sui cani nei parchi comunali?", "Cani nei parchi: regolamento"):
        db.log_question(channel="api", abstained=True, cited_docs=[], terms=terms(q),
                        question=q)
    qid = db.log_question(channel="api", abstained=False, cited_docs=[1], terms=["gar"])
    db.add_feedback(channel="api", vote=-1, question_id=qid)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(service), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
    service.close()


@pytest.mark.browser
def test_dashboard_in_headless_chromium(live_dashboard: str, chromium: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        page = browser.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        response = page.goto(f"{live_dashboard}/dashboard")
        assert response is not None and response.status == 200
        assert page.locator("html").get_attribute("lang") == "it"
        assert page.locator("h1").inner_text() == "Cruscotto della rete"
        city_rows = page.locator("#documenti-citta tbody tr")
        assert city_rows.count() == 8
        assert "Genova" in page.locator("#documenti-citta").inner_text()
        gaps = page.locator("#lacune tbody tr")
        assert gaps.count() == 2
        first = gaps.nth(0).inner_text()
        assert "2" in first and ("Cani nei parchi" in first or "Regolamento sui cani" in first)
        assert page.locator("#contributi").inner_text().count("0") == 3
        for table in page.locator("table").all():  # every table is labelled for screen readers
            assert table.locator("caption").count() == 1
            assert table.locator("thead th[scope=col]").count() >= 2
        page.get_by_label("Domande dal giorno").fill("2999-01-01")
        page.get_by_role("button", name="Aggiorna").click()
        page.wait_for_url("**/dashboard?since=2999-01-01")
        assert page.locator("#domande-totale").inner_text() == "0"
        assert page.locator("#lacune tbody").inner_text().strip() == "Nessuna lacuna registrata."
        assert not errors, errors
        browser.close()
