"""Server-rendered pages: search, answer, document view, feedback form, escaping."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import unquote

import pytest
from api_helpers import ready_client
from fastapi.testclient import TestClient

from bot.answers.citations import short_locator, web_url
from bot.api.pages import highlight, link_citations
from bot.app.service import Raccordo


@pytest.fixture(scope="module")
def client(demo_service: Raccordo) -> Iterator[TestClient]:
    """The real app over the demo corpus."""
    with ready_client(demo_service) as c:
        yield c


def test_highlight_escapes_and_marks_query_words() -> None:
    html = str(highlight("I <b>comuni</b> & le Unioni di comuni", "unione dei comuni"))
    assert html.count("<mark>comuni</mark>") == 2
    assert "<mark>Unioni</mark>" in html
    assert "&lt;b&gt;" in html and "<b>" not in html and "&amp;" in html
    assert str(highlight("art. 107 e 1070", "107")) == "art. <mark>107</mark> e 1070"
    assert str(highlight("<i>x</i>", "")) == "&lt;i&gt;x&lt;/i&gt;"


def test_citation_marks_link_to_sources_and_urls_are_filtered() -> None:
    html = str(link_citations("Vale così [1] <script>"))
    assert 'href="#fonte-1"' in html and "&lt;script&gt;" in html
    assert web_url("javascript:alert(1)") is None
    assert web_url("esempio://demo") is None
    assert web_url("https://www.normattiva.it/x") == "https://www.normattiva.it/x"


def test_short_locator_drops_the_repeated_title() -> None:
    title = "Zone omogenee — Genova"
    assert short_locator(f"{title}, {title} > Soluzione", title) == "Soluzione"
    assert short_locator("art. 107, comma 3, p. 4", title) == "art. 107, comma 3, p. 4"
    assert short_locator(title, title) == ""


def test_home_page_is_accessible_markup(client: TestClient, demo_service: Raccordo) -> None:
    html = client.get("/").text
    assert '<html lang="it">' in html
    assert 'href="#contenuto"' in html and 'id="contenuto"' in html
    for landmark in ("<header", "<nav", "<main", "<footer"):
        assert landmark in html
    for field in ("q", "f-kind", "f-city", "f-year", "f-theme"):
        assert f'<label for="{field}">' in html and f'id="{field}"' in html
    assert 'value="cerca"' in html and 'value="chiedi"' in html
    cities = {d.meta.city for d in demo_service.store.documents() if d.meta.city}
    assert all(f'<option value="{c}"' in html for c in cities)
    assert "http://" not in html and "https://" not in html  # no CDN, no remote assets


def test_search_page_shows_highlighted_passages_linked_in_context(client: TestClient) -> None:
    response = client.get("/", params={"q": "comuni gare", "mode": "cerca"})
    assert response.status_code == 200
    html = response.text
    assert "<mark>" in html
    links = re.findall(r'href="/documenti/(\d+)\?q=[^"#]*#chunk-(\d+)"', html)
    assert links
    doc_id, chunk_id = links[0]
    page = client.get(f"/documenti/{doc_id}", params={"q": "comuni gare"})
    assert page.status_code == 200
    assert f'id="chunk-{chunk_id}"' in page.text
    assert "<mark>" in page.text


def test_page_filters_apply(client: TestClient, demo_service: Raccordo) -> None:
    docs = [d for d in demo_service.store.documents() if d.status == "indexed"]
    city = next(d.meta.city for d in docs if d.meta.city)
    html = client.get("/", params={"q": "comuni", "city": city}).text
    ids = {int(i) for i in re.findall(r'href="/documenti/(\d+)\?', html)}
    assert ids and all(demo_service.store.document(i).meta.city == city  # type: ignore[union-attr]
                       for i in ids)
    assert f'<option value="{city}" selected>' in html


def test_ask_page_shows_answer_sources_and_feedback(client: TestClient,
                                                    demo_service: Raccordo) -> None:
    doc = next(d for d in demo_service.store.documents() if d.status == "indexed")
    response = client.get("/", params={"q": f"Che cosa prevede {doc.meta.title}?",
                                       "mode": "chiedi"})
    assert response.status_code == 200
    html = response.text
    assert '<details id="fonte-1">' in html and "<summary>[1]" in html
    assert 'href="#fonte-1"' in html
    qid = re.search(r'name="question_id" value="(\d+)"', html)
    assert qid is not None
    back = re.search(r'name="back" value="([^"]+)"', html)
    assert back is not None
    thanks = client.post("/feedback", data={"question_id": qid.group(1), "vote": "1",
                                            "back": unquote(back.group(1))})
    assert thanks.status_code == 200 and "Grazie" in thanks.text
    assert any(r[2] == "web" and r[3] == int(qid.group(1)) and r[4] == 1
               for r in demo_service.appdb.feedback_rows())


def test_query_is_escaped_everywhere(client: TestClient) -> None:
    attack = '"><script>alert(1)</script> comuni'
    for mode in ("cerca", "chiedi"):
        html = client.get("/", params={"q": attack, "mode": mode}).text
        assert "<script>alert(1)" not in html
        assert "&lt;script&gt;" in html


@pytest.mark.parametrize(("url", "status"), [
    ("/?q=comuni&year=abc", 400),
    ("/?q=comuni&kind=xyz", 400),
    ("/?q=" + "x" * 2500, 400),
    ("/documenti/999999", 404),
    ("/documenti/abc", 422),
], ids=["year", "kind", "long", "unknown-doc", "bad-id"])
def test_bad_page_requests_render_an_italian_error_page(client: TestClient, url: str,
                                                        status: int) -> None:
    response = client.get(url, headers={"accept": "text/html"})
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert 'lang="it"' in response.text and 'role="alert"' in response.text


def test_feedback_form_rejects_bad_votes(client: TestClient) -> None:
    assert client.post("/feedback", data={"vote": "0"}).status_code == 400
    assert client.post("/feedback", data={"vote": "7"}).status_code == 422
    assert client.post("/feedback", data={"vote": "1", "question_id": "999999999"}).status_code \
        == 404


def test_document_list_page(client: TestClient, demo_service: Raccordo) -> None:
    html = client.get("/documenti").text
    for doc in demo_service.store.documents():
        if doc.status == "indexed":
            assert f'href="/documenti/{doc.id}"' in html


def test_a_citation_opens_its_document_with_the_quote_marked(client: TestClient) -> None:
    html = client.get("/", params={"q": "Come è organizzata la stazione unica appaltante di "
                                        "Napoli?", "mode": "chiedi"}).text
    link = re.search(r'href="/documenti/(\d+)\?q=[^"#]*&amp;cita=(\d+):(\d+)-(\d+)#chunk-(\d+)"',
                     html)
    assert link is not None
    doc_id, chunk_id, start, end, anchor = (int(g) for g in link.groups())
    assert chunk_id == anchor and start < end
    quote = re.search(r'<details id="fonte-1">.*?<blockquote>(.*?)</blockquote>', html, re.S)
    assert quote is not None
    page = client.get(f"/documenti/{doc_id}", params={"cita": f"{chunk_id}:{start}-{end}"})
    assert page.status_code == 200
    marked = re.findall(r'<mark class="citazione">(.*?)</mark>', page.text, re.S)
    assert len(marked) == 1  # no `q`: no word marks inside it

    def words(fragment: str) -> str:
        return " ".join(re.sub(r"<[^>]+>", "", fragment).split())

    assert words(re.sub(r'<span class="sr">.*?</span>', "", marked[0])) == words(quote.group(1))
    assert f'id="chunk-{chunk_id}"' in page.text.split('<mark class="citazione">')[0]


@pytest.mark.parametrize("cita", ["abc", "1:5-2", "1:0-99999999", "99999:0-5", "1:-1-4", ""])
def test_a_stale_or_bad_quote_span_still_opens_the_document(client: TestClient,
                                                            demo_service: Raccordo,
                                                            cita: str) -> None:
    doc = next(d for d in demo_service.store.documents() if d.status == "indexed")
    page = client.get(f"/documenti/{doc.id}", params={"cita": cita})
    assert page.status_code == 200 and 'class="citazione"' not in page.text



def test_a_followup_on_the_page_continues_the_previous_question(client: TestClient) -> None:
    first = "Come funziona la centrale unica di committenza a Torino?"
    html = client.get("/", params={"q": first, "mode": "chiedi"}).text
    assert f'name="prima" value="{first}"' in html  # the next question may continue it
    follow = client.get("/", params={"q": "E a Napoli?", "mode": "chiedi", "prima": first})
    assert follow.status_code == 200
    understood = "Come funziona la centrale unica di committenza a Napoli?"
    assert f'<p class="intesa">Domanda intesa come: «{understood}»</p>' in follow.text
    assert f'name="prima" value="{understood}"' in follow.text  # chains keep the subject
    alone = client.get("/", params={"q": "E a Napoli?", "mode": "chiedi"}).text
    assert "sembra il seguito di una domanda precedente" in alone and 'class="intesa"' not in alone
    whole = client.get("/", params={"q": "Chi nomina il segretario comunale?", "mode": "chiedi",
                                    "prima": first}).text
    assert 'class="intesa"' not in whole  # a whole question is asked as it is
