"""The legal parser: article headings, commi, lettere, sections; cross-references are not
headings. Synthetic cases plus real articles of the shared corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.legal import Unit, article_number, comma_number, letter_of, parse_units
from ingest.models import Block
from ingest.readers import read_bytes


@pytest.mark.parametrize(("text", "heading", "expected"), [
    ("Art. 7-bis. - Sanzioni amministrative", True, "7-bis"),
    ("Articolo 1 - oggetto", True, "1"),
    ("Art. 147-ter. - (( (Controllo strategico). ))", True, "147-ter"),
    ("Articolo 6", True, "6"),
    ("Art. 3 bis.", True, "3-bis"),
    ("Art. 2-sex-decies. - (( (Responsabile", True, "2-sexdecies"),
    ("Art. 2-septies-decies.", True, "2-septiesdecies"),
    ("Art. 10-bis", False, "10-bis"),
    ("Art. 5 - Oggetto", False, "5"),
    ("Art. 12 Disposizioni finali", False, "12"),
    ("ART. 4", False, "4"),
    ("Art. 5 del decreto legislativo n. 267", False, None),
    ("Art. 5, comma 2, lettera b)", False, None),
    ("art. 5.", False, None),  # a wrapped cross-reference in a PDF line
    ("ai sensi dell'art. 5 del presente decreto", False, None),
    ("Articolazione degli uffici", True, None),
])
def test_article_headings(text: str, heading: bool, expected: str | None) -> None:
    assert article_number(text, heading=heading) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("1. Il sindaco", "1"), ("2-bis. Le regioni", "2-bis"), ("01. Chiunque", "01"),
    ("((3. Le disposizioni", "3"), ("2 - sex-decies. Il titolare", "2-sexdecies"),
    ("1-quinquies. ((COMMA ABROGATO", "1-quinquies"),
    ("1.2 Interoperabilità", None), ("Il comma 1. prevede", None),
])
def test_commi(text: str, expected: str | None) -> None:
    assert comma_number(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("a) alle pubbliche amministrazioni", "a"), ("- b) entro il 30 giugno", "b"),
    ("a-bis) copia", "a-bis"), ("((ff) Linee guida", "ff"), ("u-ter)LETTERA SOPPRESSA", "u-ter"),
    ("alle pubbliche amministrazioni", None),
])
def test_lettere(text: str, expected: str | None) -> None:
    assert letter_of(text) == expected


def _where(units: list[Unit], needle: str) -> Unit:
    return next(u for u in units if any(needle in p.text for p in u.parts))


def test_pdf_lines_structure_and_cross_references() -> None:
    lines = ["TITOLO II", "ORGANI", "Art. 10-bis", "Sanzioni", "1. Il sindaco applica le",
             "sanzioni previste dall'", "art. 5 del presente regolamento:",
             "a) per le violazioni lievi;", "a-bis) per le recidive;",
             "2-bis. Restano ferme le norme", "Art. 11 - Entrata in vigore",
             "1. Il regolamento entra in vigore."]
    units = parse_units(tuple(Block(t, page=1 + i // 6) for i, t in enumerate(lines)), "pdf")
    unit = _where(units, "sanzioni previste")
    assert (unit.article, unit.comma) == ("10-bis", "1")
    assert unit.section == ("TITOLO II",)
    assert [p.letter for p in unit.parts] == [None, None, None, "a", "a-bis"]
    assert _where(units, "Restano ferme").comma == "2-bis"
    assert _where(units, "entra in vigore").article == "11"


def test_numbered_titles_give_section_paths_outside_acts() -> None:
    lines = ["3 Servizi", "Testo introduttivo.", "3.2 Interoperabilità", "Le API della PA.",
             "1.0 M. Rossi", "97 Unioncamere SUAP", "1 Vedi http://www.indicepa.gov.it/",
             "1.1 Pagamento in Unica Soluzione ........... 6", "2.1 Maggio 2018 Adeguamento"]
    units = parse_units(tuple(Block(t, page=1) for t in lines), "pdf")
    assert _where(units, "Le API").section == ("3 Servizi", "3.2 Interoperabilità")
    assert not _where(units, "Unica Soluzione").heading  # a table of contents line
    assert not _where(units, "Maggio 2018").heading  # a revision-table line
    for line in ("1.0 M. Rossi", "97 Unioncamere", "1 Vedi http"):
        assert not _where(units, line).heading, line


def test_implicit_commi_for_unnumbered_paragraphs() -> None:
    blocks = (Block("Art. 1.", heading_level=3), Block("L'Italia e' una Repubblica."),
              Block("La sovranita' appartiene al popolo."),
              Block("------------- AGGIORNAMENTO (1) nota redazionale."))
    units = parse_units(blocks, "markdown")
    assert _where(units, "sovranita").comma == "2"
    single = parse_units((Block("Art. 3.", heading_level=3), Block("Tutti i cittadini.")),
                         "markdown")
    assert _where(single, "Tutti").comma is None
    assert _where(units, "AGGIORNAMENTO").comma is None


def test_quoted_article_in_body_does_not_open_an_article_when_headings_exist() -> None:
    blocks = (Block("Art. 2. - Modifiche", heading_level=3),
              Block("1. All'articolo 5 e' aggiunto il seguente:"),
              Block("Art. 5-bis. - Nuove norme"), Block("2. Resta fermo il resto."))
    units = parse_units(blocks, "markdown")
    assert {u.article for u in units} == {"2"}
    assert _where(units, "Resta fermo").comma == "2"


def _real(shared_dir: Path, name: str, fmt: str) -> list[Unit]:
    data = (shared_dir / "corpus" / name).read_bytes()
    return parse_units(read_bytes(data, fmt).blocks, fmt)


@pytest.mark.shared
def test_real_tuel_articles(shared_dir: Path) -> None:
    units = _real(shared_dir, "dlgs_267_2000_TUEL_vigente.md", "markdown")
    bis = [u for u in units if u.article == "7-bis"]
    assert bis and bis[0].heading and bis[0].parts[0].text.startswith("Art. 7-bis.")
    assert _where(units, "le ordinanze contingibili e urgenti sono adottate dal sindaco") \
        .comma == "5"
    seven_bis = _where(units, "7-bis. Il Sindaco, al fine di assicurare")
    assert (seven_bis.article, seven_bis.comma) == ("50", "7-bis")
    strategic = [u for u in units if u.article == "147-ter" and u.comma == "1"]
    assert strategic
    # Art. 49: commi wrapped in (( )) modification marks
    assert _where(units, "Nel caso in cui l'ente non abbia i responsabili").comma == "2"


@pytest.mark.shared
def test_real_lettere_in_dlgs_150(shared_dir: Path) -> None:
    units = _real(shared_dir, "dlgs_150_2009_performance_vigente.md", "markdown")
    unit = _where(units, "entro il 31 gennaio, il Piano della performance")
    assert (unit.article, unit.comma) == ("10", "1")
    letters = [p.letter for p in unit.parts if p.letter]
    assert letters[:2] == ["a", "b"]
    assert _where(units, "Per gli enti locali, ferme restando").comma == "1-bis"


@pytest.mark.shared
def test_real_cad_xml(shared_dir: Path) -> None:
    units = _real(shared_dir, "dlgs_82_2005_CAD.xml", "nir-xml")
    first = _where(units, "I soggetti di cui all'articolo 2, comma 2, i professionisti tenuti")
    assert (first.article, first.comma) == ("3-bis", "1")
    assert _where(units, "Chiunque ha il diritto di accedere ai servizi on-line").comma == "01"
    assert _where(units, "1-quater. I soggetti di cui ai commi 1 e 1-bis").comma == "1-quater"
    assert _where(units, "IL PRESIDENTE DELLA REPUBBLICA").article is None
