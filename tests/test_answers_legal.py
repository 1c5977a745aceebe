"""Answers for legal staff: repealed provisions are never quoted as law in force, citations
carry a formal citation and the provisions their quote cites."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def law_service(tmp_path: Path, file: str, text: str) -> Iterator[Raccordo]:
    """A service over one law, `leggi/<file>`, in `tmp_path`."""
    folder = tmp_path / "leggi"
    folder.mkdir()
    (folder / file).write_text(text, encoding="utf-8")
    running = Raccordo(make_settings(tmp_path / "data"))
    try:
        running.ingest(folder)
        yield running
    finally:
        running.close()


@pytest.fixture()
def service(tmp_path: Path) -> Iterator[Raccordo]:
    with law_service(tmp_path, "tuel.md", TUEL) as running:
        yield running


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

1. L'albo dei segretari comunali e' tenuto ai sensi dell'articolo 10 del d.lgs. n. 300/1999.
"""
CIRCOLARE = """# Circolare sul personale

L'organizzazione del Governo e' regolata dal decreto legislativo 30 luglio 1999, n. 300.
"""
URN = ("https://www.normattiva.it/uri-res/N2Ls?urn:nir:stato:decreto.legislativo:"
       "1999-07-30;300~art10!vig=")


def test_a_provision_outside_the_archive_links_its_act_once_a_source_dates_it(
        tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from bot.cli.answers import readable
    from bot.cli.server import http_app
    from bot.telegram.formatting import paginate, source_blocks

    with law_service(tmp_path, "tuel.md", SEGRETARIO) as service:
        folder = tmp_path / "leggi"
        question = "Dove è tenuto l'albo dei segretari comunali?"
        [ref] = service.ask(question).citations[0].references
        assert ref["chunk_id"] is None and ref["url"] is None  # no source dates the act yet
        (folder / "circolare.md").write_text(CIRCOLARE, encoding="utf-8")
        service.ingest(folder)  # the running service reads the new date: no restart
        citation = service.ask(question).citations[0]
        [ref] = citation.references
        assert ref["url"] == URN and citation.to_json()["references"][0]["url"] == URN
        assert (f"rinvii: articolo 10 del d.lgs. n. 300/1999 (non in archivio: {URN})"
                in readable(service.ask(question)))
        [sources] = paginate(source_blocks(citation, citation.quote, "dlgs:267/2000"))
        assert (f'<i>Rinvii: <a href="{URN}">articolo 10 del d.lgs. n. 300/1999</a> '
                "(non in archivio)</i>") in sources.html
        assert f"(non in archivio): {URN}" in sources.plain  # if Telegram refuses the HTML
        with TestClient(http_app(service)) as client:
            page = client.get("/", params={"q": question, "mode": "chiedi"}).text
        assert (f'<a href="{URN}" rel="noopener noreferrer">articolo 10 del d.lgs. n. 300/1999'
                '</a> <span title="fuori dalla base di conoscenza">(non in archivio: '
                "Normattiva)</span>") in page


PARTECIPATE = """# D.Lgs. 19 agosto 2016, n. 175 - Testo unico in materia di societa' \
a partecipazione pubblica

### Art. 2. - Definizioni

1. Ai fini del presente decreto si intendono per:
b) "controllo": la situazione descritta nell'articolo 2359 del codice civile;
"""


def test_a_code_a_passage_cites_is_not_a_missing_act(tmp_path: Path) -> None:
    with law_service(tmp_path, "tusp.md", PARTECIPATE) as service:
        cited = service.ask("Nel TUSP il controllo di una società è quello dell'articolo 2359 "
                            "del codice civile?")
        assert not cited.abstained and "articolo 2359 del codice civile" in \
            cited.citations[0].quote
        [ref] = cited.citations[0].references
        assert ref["act"] == "rd:262/1942" and ref["url"] == (
            "https://www.normattiva.it/uri-res/N2Ls?urn:nir:stato:regio.decreto:1942-03-16;262"
            "~art2359!vig=")
        road = service.ask("Quale articolo del codice della strada disciplina i passi "
                           "carrabili delle società?")
        assert road.abstained and road.notes == ("atto non presente nelle fonti: dlgs:285/1992",)


PRIVACY = """# D.Lgs. 30 giugno 2003, n. 196 - Codice in materia di protezione dei dati personali

### Art. 1. - Oggetto

1. Il trattamento dei dati personali avviene secondo le norme del regolamento (UE) 2016/679
del Parlamento europeo e del Consiglio, del 27 aprile 2016, di seguito «Regolamento».

### Art. 2-bis. - Autorita' di controllo

1. L'Autorita' di controllo di cui all'articolo 51 del regolamento e' individuata nel Garante
per la protezione dei dati personali.
"""
CELEX = "https://eur-lex.europa.eu/legal-content/IT/TXT/?uri=CELEX:32016R0679"


def test_an_article_of_a_name_the_act_gave_says_which_act_it_is(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from bot.cli.answers import readable
    from bot.cli.server import http_app
    from bot.telegram.formatting import paginate, source_blocks

    with law_service(tmp_path, "privacy.md", PRIVACY) as service:
        question = "Chi è l'autorità di controllo per la protezione dei dati personali?"
        answer = service.ask(question)
        citation = answer.citations[0]
        [ref] = citation.references
        assert (ref["act"], ref["article"], ref["url"]) == ("reg-ue:2016/679", "51", CELEX)
        assert ref["text"] == "articolo 51" and ref["name"] == "articolo 51, Reg. UE 2016/679"
        assert (f"rinvii: articolo 51, Reg. UE 2016/679 (non in archivio: {CELEX})"
                in readable(answer))
        [sources] = paginate(source_blocks(citation, citation.quote, "dlgs:196/2003"))
        assert f'<a href="{CELEX}">articolo 51, Reg. UE 2016/679</a>' in sources.html
        with TestClient(http_app(service)) as client:
            page = client.get("/", params={"q": question, "mode": "chiedi"}).text
        assert f'<a href="{CELEX}" rel="noopener noreferrer">articolo 51, Reg. UE 2016/679</a>' \
            in page.replace("&amp;", "&")
