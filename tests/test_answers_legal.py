"""Answers for legal staff: repealed provisions are never quoted as law in force, citations
carry a formal citation and the provisions their quote cites."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import make_settings

from bot.app.service import Raccordo

TUEL = """# D.Lgs. 18 agosto 2000, n. 267 - Testo unico delle leggi sull'ordinamento degli \
enti locali

### Art. 41-bis. - Obblighi di trasparenza dei titolari di cariche elettive

((ARTICOLO ABROGATO DAL D.LGS. 14 MARZO 2013, N. 33))

### Art. 42. - Attribuzioni dei consigli

1. Il consiglio e' l'organo di indirizzo e di controllo politico-amministrativo dell'ente.

2. Il consiglio ha competenza limitatamente ai bilanci annuali e pluriennali, secondo quanto
previsto dall'articolo 50, comma 10, per le nomine dei responsabili degli uffici.

### Art. 50. - Competenze del sindaco e del presidente della provincia

10. Il sindaco e il presidente della provincia nominano i responsabili degli uffici e dei
servizi, attribuiscono e definiscono gli incarichi dirigenziali e quelli di collaborazione
esterna secondo le modalita' ed i criteri stabiliti dall'articolo 42, comma 1.
"""


@pytest.fixture()
def service(tmp_path: Path) -> Iterator[Raccordo]:
    folder = tmp_path / "leggi"
    folder.mkdir()
    (folder / "tuel.md").write_text(TUEL, encoding="utf-8")
    running = Raccordo(make_settings(tmp_path / "data"))
    running.ingest(folder)
    yield running
    running.close()


def test_a_repealed_article_is_never_quoted_as_law_in_force(service: Raccordo) -> None:
    answer = service.ask("Cosa prevede l'art. 41-bis del TUEL sugli obblighi di trasparenza?")
    repealed = {h.chunk.id for h in service.search("art. 41-bis TUEL", k=5)
                if not h.chunk.vigente}
    assert repealed, "the store marks the repealed article"
    assert all(c.chunk_id not in repealed for c in answer.citations)
    assert "non in vigore: articolo abrogato dal d.lgs. 14 marzo 2013, n. 33" in answer.text


def test_citations_carry_a_formal_citation_and_resolved_references(service: Raccordo) -> None:
    answer = service.ask("Chi nomina i responsabili degli uffici e dei servizi?")
    [first, *_] = answer.citations
    assert first.formal == "art. 50, comma 10, d.lgs. 18 agosto 2000, n. 267"
    payload = first.to_json()
    assert payload["formal"] == first.formal and payload["ocr"] is False
    [ref] = [r for r in first.references if r["article"] == "42"]
    assert ref["chunk_id"] is not None and ref["comma"] == "1"


def test_the_search_page_shows_the_state_and_the_formal_citation(service: Raccordo) -> None:
    from fastapi.testclient import TestClient

    from bot.cli.server import http_app

    with TestClient(http_app(service)) as client:
        page = client.get("/", params={"q": "art. 41-bis TUEL trasparenza"}).text
    assert "non in vigore" in page and "ARTICOLO ABROGATO" in page
    assert "d.lgs. 18 agosto 2000, n. 267" in page


SEGRETARIO = """# Testo unico delle leggi sull'ordinamento degli enti locali

### Art. 98. - Albo dei segretari comunali e provinciali

1. L'albo dei segretari comunali e' tenuto ai sensi dell'articolo 10 del d.lgs. n. 165/2001.
"""
CIRCOLARE = """# Circolare sul personale

Il rapporto di lavoro e' regolato dal decreto legislativo 30 marzo 2001, n. 165.
"""
URN = ("https://www.normattiva.it/uri-res/N2Ls?urn:nir:stato:decreto.legislativo:"
       "2001-03-30;165~art10!vig=")


def test_a_provision_outside_the_archive_links_its_act_once_a_source_dates_it(
        tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from bot.cli.answers import readable
    from bot.cli.server import http_app
    from bot.telegram.formatting import paginate, source_blocks

    folder = tmp_path / "leggi"
    folder.mkdir()
    (folder / "tuel.md").write_text(SEGRETARIO, encoding="utf-8")
    service = Raccordo(make_settings(tmp_path / "data"))
    try:
        service.ingest(folder)
        question = "Dove è tenuto l'albo dei segretari comunali?"
        [ref] = service.ask(question).citations[0].references
        assert ref["chunk_id"] is None and ref["url"] is None  # no source dates the act yet
        (folder / "circolare.md").write_text(CIRCOLARE, encoding="utf-8")
        service.ingest(folder)  # the running service reads the new date: no restart
        citation = service.ask(question).citations[0]
        [ref] = citation.references
        assert ref["url"] == URN and citation.to_json()["references"][0]["url"] == URN
        assert (f"rinvii: articolo 10 del d.lgs. n. 165/2001 (non in archivio: {URN})"
                in readable(service.ask(question)))
        [sources] = paginate(source_blocks(citation, citation.quote, "dlgs:267/2000"))
        assert (f'<i>Rinvii: <a href="{URN}">articolo 10 del d.lgs. n. 165/2001</a> '
                "(non in archivio)</i>") in sources.html
        assert f"(non in archivio): {URN}" in sources.plain  # if Telegram refuses the HTML
        with TestClient(http_app(service)) as client:
            page = client.get("/", params={"q": question, "mode": "chiedi"}).text
        assert (f'<a href="{URN}" rel="noopener noreferrer">articolo 10 del d.lgs. n. 165/2001'
                '</a> <span title="fuori dalla base di conoscenza">(non in archivio: '
                "Normattiva)</span>") in page
    finally:
        service.close()
