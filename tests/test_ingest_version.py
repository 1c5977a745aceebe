"""The date of an act's text version: read, stored, and carried to citations."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.metadata import build_meta, meta_matches
from ingest.pipeline import ingest_path
from ingest.readers import Parsed
from ingest.readers.nir import read_nir
from ingest.store import Store
from ingest.version import in_force_on, italian_date, parse_date

TUEL = "https://www.normattiva.it/uri-res/N2Ls?urn:nir:stato:decreto.legislativo:2000-08-18;267"
AKN = b"""<?xml version="1.0" encoding="UTF-8"?>
<akomaNtoso xmlns="http://docs.oasis-open.org/legaldocml/ns/akn/3.0">
<act><meta><identification source="#normattiva">
<FRBRWork><FRBRdate date="2000-08-18" name="emanazione"/></FRBRWork>
<FRBRExpression><FRBRdate date="2025-11-04" name="vigenza"/></FRBRExpression>
</identification></meta>
<preface><docTitle>Testo unico degli enti locali</docTitle></preface>
<body><article eId="art_50"><num>Art. 50.</num><heading>Sindaco</heading>
<paragraph eId="art_50__para_1"><num>1.</num><content><p>Il sindaco e' l'organo
responsabile dell'amministrazione del comune.</p></content></paragraph></article></body>
</act></akomaNtoso>"""


@pytest.mark.parametrize(("value", "expected"), [
    ("20251104", "2025-11-04"), ("2025-11-04", "2025-11-04"), ("4/11/2025", "2025-11-04"),
    ("04.11.2025", "2025-11-04"), ("4 novembre 2025", "2025-11-04"),
    ("1° gennaio 2024", "2024-01-01"), ("1 Gennaio 2024", "2024-01-01"),
    ("1°gennaio 2024", "2024-01-01"),
    ("31/02/2025", None), ("20251304", None), ("novembre 2025", None), ("", None), (None, None),
])
def test_dates_are_read_in_the_forms_italian_sources_write_them(value: str | None,
                                                                 expected: str | None) -> None:
    assert parse_date(value) == expected


def test_italian_dates_are_written_as_acts_write_them() -> None:
    assert italian_date("2025-11-04") == "4 novembre 2025"
    assert italian_date("2024-01-01") == "1° gennaio 2024"
    assert italian_date("non una data") == "non una data"
    assert italian_date("2025-11-32") == "2025-11-32"  # not a real date: shown as it is


def test_declared_fields_then_the_document_then_its_title() -> None:
    title = "D.Lgs. 267/2000 (TUEL), testo vigente al 4/11/2025"
    props = {"dataVigenza": "20250301"}
    assert in_force_on({"vigente_al": "1/6/2025"}, props, title) == "2025-06-01"
    assert in_force_on({}, props, title) == "2025-03-01"
    assert in_force_on({}, {}, title) == "2025-11-04"
    assert in_force_on({}, {}, "Costituzione (testo vigente al 4 novembre 2025)") == "2025-11-04"
    assert in_force_on({}, {}, "Legge 241/1990, testo vigente all'1/1/2024") == "2024-01-01"
    assert in_force_on({}, {}, "Legge 241/1990, vigente al: 4/11/2025") == "2025-11-04"
    # "in vigore dal" says when a text took effect, not which version it is
    assert in_force_on({}, {}, "Legge 4/2004, in vigore dal 1/2/2004") is None
    assert in_force_on({}, {}, "Linee guida sul riuso del software") is None
    # a declared value that is not a date defers to what the document says
    assert in_force_on({"in_force": "4 nov. 2025"}, props, title) == "2025-03-01"
    assert in_force_on({"in_force": "presto"}, {}, "Linee guida") is None


def test_a_normattiva_file_says_its_version_and_links_to_it() -> None:
    parsed = Parsed(blocks=(), title="Testo unico", props={"url": TUEL, "dataVigenza": "20251104"})
    meta = build_meta("tuel.md", {}, parsed)
    assert meta.in_force == "2025-11-04"
    assert meta.url == TUEL + "!vig=2025-11-04"


def test_an_akoma_ntoso_act_gives_its_expression_date() -> None:
    parsed = read_nir(AKN)
    assert parsed.props == {"in_force": "2025-11-04"}  # not the work's date of 2000
    assert build_meta("tuel.xml", {}, parsed).in_force == "2025-11-04"
    # an export of the original text: its expression is the work itself, no version in force
    original = AKN.replace(b'date="2025-11-04" name="vigenza"', b'date="2000-08-18" name="x"')
    assert read_nir(original).props == {}


def test_a_changed_declaration_asks_for_a_new_ingest() -> None:
    stored = build_meta("a.md", {"title": "A", "vigente_al": "4/11/2025"}, None)
    assert meta_matches(stored, {"title": "A", "vigente_al": "04.11.2025"})
    assert not meta_matches(stored, {"title": "A", "vigente_al": "1/12/2025"})
    assert meta_matches(stored, {"title": "A"})  # not declared: what the file says stands
    # an unreadable declaration defers to the file: no new ingest at every run
    from_file = build_meta("a.md", {"title": "A"},
                           Parsed(blocks=(), title="A", props={"dataVigenza": "20251104"}))
    assert meta_matches(from_file, {"title": "A", "vigente_al": "4 nov. 2025"})
    link = build_meta("tuel.md", {"vigente_al": "4 nov. 2025"},
                      Parsed(blocks=(), title="T", props={"url": TUEL, "dataVigenza": "20251104"}))
    assert link.url == TUEL + "!vig=2025-11-04"  # the link keeps the file's version


def test_the_version_is_stored_and_read_back(tmp_path: Path) -> None:
    root = tmp_path / "atti"
    root.mkdir()
    (root / "tuel.md").write_text(
        f"---\nurl: {TUEL}\ndataVigenza: 20251104\n---\n\n# Testo unico degli enti locali\n\n"
        "### Art. 50. - Sindaco\n\n1. Il sindaco e' l'organo responsabile.\n", encoding="utf-8")
    (root / "guida.md").write_text("# Guida\n\nUn manuale senza versione.\n", encoding="utf-8")
    store = Store(tmp_path / "raccordo.db")
    assert not ingest_path(root, store).failed
    by_file = {d.file: d for d in store.documents()}
    assert by_file["tuel.md"].meta.in_force == "2025-11-04"
    assert by_file["tuel.md"].to_json()["in_force"] == "2025-11-04"
    assert by_file["guida.md"].meta.in_force is None
    store.close()
    store = Store(tmp_path / "raccordo.db")  # read back from the file
    found = store.find_document(str(root.resolve()), "tuel.md")
    assert found is not None and found.meta.in_force == "2025-11-04"
    store.close()
