"""The review page in headless Debian Chromium: a coordinator logs in with an admin key, picks
the right passage of one answer voted 👎 and declares another unanswerable."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from api_helpers import voted_down

from bot.api import create_app
from bot.api.background import BackgroundServer
from bot.app.service import Raccordo
from tests.browser_kit import contrast_failures

pytestmark = pytest.mark.browser

QUESTION = "Chi approva il piano strategico metropolitano?"
UNANSWERABLE = "Quanto costa il parcheggio in centro?"


@pytest.fixture()
def server(fresh_service: Raccordo) -> Iterator[BackgroundServer]:
    """uvicorn on 127.0.0.1 over a data directory of its own (the review writes to it)."""
    app = create_app(fresh_service)
    with BackgroundServer(app) as running:
        assert app.state.readiness.wait(180)
        yield running


def test_a_coordinator_reviews_in_the_browser(browser: Any, server: BackgroundServer,
                                              fresh_service: Raccordo) -> None:
    first = voted_down(fresh_service, QUESTION)
    second = voted_down(fresh_service, UNANSWERABLE)
    admin = fresh_service.appdb.create_api_key("admin", "coordinamento")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="it-IT")
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto(server.url + "/revisione")
        page.get_by_label("Chiave API").fill(admin)  # closed to anyone without an admin key
        page.get_by_role("button", name="Entra").click()
        page.get_by_role("heading", name="Revisione delle risposte con 👎").wait_for()
        assert contrast_failures(page) == []
        page.get_by_role("link", name=QUESTION).click()
        page.get_by_role("heading", name=QUESTION).wait_for()
        assert page.get_by_text("citato nella risposta con 👎").count() >= 1
        assert contrast_failures(page) == []
        page.get_by_role("button", name="È questo").nth(1).click()  # the second passage
        page.get_by_role("heading", name=UNANSWERABLE).wait_for()
        assert page.get_by_role("status").first.inner_text().startswith("Scelta registrata")
        page.get_by_role("button", name="Le fonti non rispondono").click()
        page.get_by_text("Non restano altre risposte da rivedere").wait_for()
        assert "Da rivedere: 0" in page.locator("#conteggi").inner_text()
    finally:
        context.close()
    decisions = fresh_service.appdb.reviews()
    assert decisions[first][0] == "passage" and decisions[second][:2] == ("no_answer", [])
