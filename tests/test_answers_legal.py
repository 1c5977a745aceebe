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
