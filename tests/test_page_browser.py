"""The search page in headless Debian Chromium: search, filter, document, ask, keyboard, 360 px.

Screenshots go to docs/screenshots/ when RACCORDO_SCREENSHOTS=1 (else to a temp folder).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.api.background import BackgroundServer
from bot.app.service import Raccordo
from tests.browser_kit import contrast_failures

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]


def _shots_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if os.environ.get("RACCORDO_SCREENSHOTS") == "1":
        path = REPO / "docs" / "screenshots"
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="module")
def server(demo_server: BackgroundServer) -> BackgroundServer:
    """The shared demo server (see conftest)."""
    return demo_server


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots are written."""
    return _shots_dir(tmp_path_factory)


@pytest.fixture()
def page(browser: Any, server: BackgroundServer) -> Iterator[Any]:
    """A fresh page that refuses (and records) any request leaving the local server."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="it-IT")
    outside: list[str] = []

    def guard(route: Any) -> None:
        if route.request.url.startswith(server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    tab.base = server.url  # type: ignore[attr-defined]
    yield tab
    context.close()
    assert outside == [], f"richieste verso l'esterno: {outside}"


def _search(page: Any, query: str, mode: str = "cerca") -> None:
    page.goto(page.base + "/")
    page.get_by_label("Parole chiave o domanda").fill(query)
    page.get_by_label("Chiedi" if mode == "chiedi" else "Cerca", exact=True).check()
    page.get_by_role("button", name="Invia").click()
    page.wait_for_load_state("domcontentloaded")


def test_search_shows_highlighted_passages(page: Any, shots: Path) -> None:
    _search(page, "centrale di committenza per le gare dei comuni")
    results = page.locator(".risultato")
    assert results.count() > 0
    assert page.locator(".risultato mark").count() > 0
    assert page.locator(".risultato .locatore").count() > 0
    assert contrast_failures(page) == []
    page.screenshot(path=str(shots / "ricerca.png"), full_page=True)


def test_filter_by_city(page: Any, demo_service: Raccordo, shots: Path) -> None:
    cities = sorted({d.meta.city for d in demo_service.store.documents() if d.meta.city})
    city = cities[0]
    page.goto(page.base + "/")
    page.get_by_label("Parole chiave o domanda").fill("comuni servizi")
    page.get_by_label("Città o area").select_option(city)
    page.get_by_role("button", name="Invia").click()
    page.wait_for_load_state("domcontentloaded")
    metas = page.locator(".risultato .meta").all_inner_texts()
    assert metas and all(city in m for m in metas)
    assert page.get_by_label("Città o area").input_value() == city
    page.screenshot(path=str(shots / "filtri.png"), full_page=True)


def test_open_document_at_the_passage(page: Any, shots: Path) -> None:
    _search(page, "sportello unico attività produttive associato")
    link = page.locator(".risultato h3 a").first
    href = link.get_attribute("href")
    assert href and re.search(r"#chunk-\d+$", href)
    link.click()
    page.wait_for_load_state("domcontentloaded")
    anchor = href.rsplit("#", 1)[1]
    assert page.url.endswith("#" + anchor)
    assert page.evaluate("document.querySelector(':target')?.id") == anchor
    target = page.locator(f"#{anchor}")
    assert target.is_visible()
    box = target.bounding_box()
    assert box is not None and 0 <= box["y"] < 900  # scrolled into view
    background = target.evaluate("e => getComputedStyle(e).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")  # highlighted by :target
    assert contrast_failures(page) == []
    page.screenshot(path=str(shots / "documento.png"))


def test_ask_shows_cited_answer_with_sources_and_feedback(page: Any, demo_service: Raccordo,
                                                          shots: Path) -> None:
    _search(page, "Come è organizzata la stazione unica appaltante di Napoli?", mode="chiedi")
    assert page.locator(".testo-risposta").is_visible()
    sources = page.locator(".fonti details")
    assert sources.count() > 0
    first = sources.first
    assert first.get_attribute("open") is None
    first.locator("summary").click()
    assert first.get_attribute("open") is not None
    assert first.locator("blockquote").is_visible()
    page.locator('.fonti a[href^="/documenti/"]').first.is_visible()
    before = len(demo_service.appdb.feedback_rows())
    page.screenshot(path=str(shots / "risposta.png"), full_page=True)
    page.get_by_role("button", name="Sì").click()
    page.locator(".esito-voto").filter(has_text="Grazie").wait_for()
    assert len(demo_service.appdb.feedback_rows()) == before + 1
    assert contrast_failures(page) == []


def test_a_citation_opens_the_document_at_its_quote(page: Any, shots: Path) -> None:
    _search(page, "Come è organizzata la stazione unica appaltante di Napoli?", mode="chiedi")
    first = page.locator(".fonti details").first
    first.locator("summary").click()
    quote = " ".join(first.locator("blockquote").inner_text().split())
    first.get_by_role("link", name="Apri nel documento").click()
    page.wait_for_url(re.compile(r"/documenti/\d+\?.*cita=.*#chunk-\d+$"))
    marked = page.locator("mark.citazione")
    assert marked.count() == 1 and marked.is_visible()
    seen = " ".join(marked.evaluate(  # its text without the screen-reader labels
        "e => [...e.childNodes].filter(n => !n.classList?.contains('sr'))"
        ".map(n => n.textContent).join('')").split())
    assert seen == quote
    box = marked.bounding_box()
    assert box is not None and 0 <= box["y"] < 900  # the passage is scrolled into view
    assert contrast_failures(page) == []
    page.screenshot(path=str(shots / "documento-citazione.png"))


def test_a_followup_typed_after_an_answer_continues_it(page: Any, shots: Path) -> None:
    _search(page, "Come funziona la centrale unica di committenza a Torino?", mode="chiedi")
    assert page.locator(".fonti details").count() > 0
    page.fill("#q", "E a Napoli?")
    page.get_by_role("button", name="Invia").click()
    page.wait_for_load_state("domcontentloaded")
    understood = page.locator(".intesa")
    assert understood.is_visible()
    assert "centrale unica di committenza a Napoli" in understood.inner_text()
    assert page.locator(".fonti details").count() > 0
    assert contrast_failures(page) == []
    page.screenshot(path=str(shots / "domanda-di-seguito.png"), full_page=True)


def test_keyboard_only_search(page: Any) -> None:
    page.goto(page.base + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "salta"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # visible focus
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "q":
            break
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("unioni di comuni")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=unioni"))
    in_result = False
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("!!document.activeElement.closest('.risultato')"):
            in_result = True
            break
    assert in_result
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/documenti/\d+"))
    assert page.evaluate("!!document.querySelector(':target')")


def test_skip_link_moves_focus_to_main(page: Any) -> None:
    page.goto(page.base + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "salta"
    page.keyboard.press("Enter")
    # the browser reports the fragment navigation as an event: wait for it, not for luck
    page.wait_for_url(re.compile(r"#contenuto$"))
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.closest('main') !== null")
    assert focused


@pytest.mark.parametrize("what", ["ricerca", "risposta", "documento", "documenti"])
def test_360px_has_no_horizontal_scroll(browser: Any, server: BackgroundServer,
                                        demo_service: Raccordo, shots: Path, what: str) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="it-IT")
    page = context.new_page()
    try:
        doc = next(d for d in demo_service.store.documents() if d.status == "indexed")
        url = {"ricerca": "/?q=unioni+di+comuni+zone+omogenee",
               "risposta": "/?q=Che+cosa+sono+le+zone+omogenee%3F&mode=chiedi",
               "documento": f"/documenti/{doc.id}",
               "documenti": "/documenti"}[what]
        page.goto(server.url + url)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{what}: {width}px"
        page.screenshot(path=str(shots / f"mobile-{what}.png"), full_page=True)
    finally:
        context.close()


def test_api_docs_render_offline(page: Any, shots: Path) -> None:
    page.goto(page.base + "/docs")
    page.locator(".swagger-ui .info .title").filter(has_text="Raccordo API").wait_for()
    assert page.locator(".opblock").count() >= 5
    page.screenshot(path=str(shots / "api-docs.png"))


def test_an_uncertain_answer_warns_and_offers_passages_to_check(page: Any, shots: Path) -> None:
    _search(page, "Chi firma la convenzione per il SUAP associato?", mode="chiedi")
    answer = page.locator(".risposta")
    assert "incerta" in (answer.get_attribute("class") or "")  # framed as a warning
    assert page.locator(".testo-risposta").inner_text().startswith("Attenzione:")
    page.get_by_role("heading", name="Da controllare anche").wait_for()
    offered = page.locator(".suggerimenti li")
    assert offered.count() == 3
    assert offered.first.locator("blockquote").is_visible()  # a snippet to check at a glance
    assert offered.first.locator('a[href^="/documenti/"]').is_visible()
    assert contrast_failures(page) == []
    page.screenshot(path=str(shots / "risposta-incerta.png"), full_page=True)
