"""Repealed provisions recognised at ingestion (Normattiva notices), stored on the chunks."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.chunker import Chunker
from ingest.legal import parse_units
from ingest.models import Block, Chunk, DocumentMeta
from ingest.pipeline import ingest_path
from ingest.store import Store
from ingest.vigenza import chunk_vigenza, repeal_message, repeal_notice
from tests.legal_kit import ingest_texts

META = DocumentMeta(title="D.Lgs. 18 agosto 2000, n. 267 - TUEL", kind="decree",
                    act="dlgs:267/2000")


def _chunks(blocks: list[tuple[str, int | None]]) -> list[Chunk]:
    parsed = tuple(Block(text, heading_level=level) for text, level in blocks)
    return Chunker().chunk(parse_units(parsed, "markdown"), META, "markdown")


@pytest.mark.parametrize(("text", "what", "number"), [
    ("((ARTICOLO ABROGATO DAL D.LGS. 14 MARZO 2013, N. 33))", "ARTICOLO", None),
    ("3. (( COMMA ABROGATO DAL D.LGS. 3 APRILE 2006, N. 152 )).", "COMMA", "3"),
    ("2-bis. COMMA ABROGATO DAL D.LGS. 30 DICEMBRE 2010, N. 235. ", "COMMA", "2-bis"),
    ("- a) ((LETTERA ABROGATA DAL D.L. 26 OTTOBRE 2019, N. 124));", "LETTERA", "a"),
    ("ARTICOLO ABROGATO DAL D.L. 31 MAGGIO 2010, N. 78, CONVERTITO CON MODIFICAZIONI DALLA "
     "L. 30 LUGLIO 2010, N. 122 .(44) ((54))", "ARTICOLO", None),
    ("4. ((COMMA ABROGATO DAL D.LGS. 1 SETTEMBRE 2011, N. 150)). ((52)) --------------- "
     "AGGIORNAMENTO (52) Il D.Lgs. 1 settembre 2011, n. 150 ha disposto ...", "COMMA", "4"),
])
def test_repeal_notices_are_read(text: str, what: str, number: str | None) -> None:
    notice = repeal_notice(text)
    assert notice is not None and (notice.what, notice.number) == (what, number)
    assert notice.note.startswith(f"{what} ABROGAT")


@pytest.mark.parametrize("text", [
    "1. Il consiglio e' l'organo di indirizzo e di controllo politico-amministrativo.",
    "3. Le norme abrogate o modificate dal presente decreto continuano ad applicarsi.",
    "1. Non sono eleggibili: 1) il Capo della polizia; 3) NUMERO ABROGATO DAL D.LGS. 15 "
    "MARZO 2010, N. 66; 4) gli ecclesiastici.",
])
def test_text_in_force_is_no_notice(text: str) -> None:
    assert repeal_notice(text) is None


def test_partial_repeals_and_amendments_keep_the_chunk_in_force() -> None:
    state = chunk_vigenza(["1. Il sindaco nomina ((, nel rispetto del principio di pari "
                           "opportunita',)) i componenti della giunta.",
                           "2. COMMA ABROGATO DAL D.LGS. 15 MARZO 2010, N. 66.",
                           "3. Testo. PERIODO ABROGATO DAL D.LGS. 15 MARZO 2010, N. 66."])
    assert state.vigente and state.repealed == ("comma 2", "periodo") and state.amended


def test_repealed_article_and_commi_are_not_in_force() -> None:
    chunks = _chunks([("Art. 41-bis.", 3),
                      ("((ARTICOLO ABROGATO DAL D.LGS. 14 MARZO 2013, N. 33))", None),
                      ("Art. 42. - Attribuzioni dei consigli", 3),
                      ("1. Il consiglio e' l'organo di indirizzo e di controllo.", None),
                      ("Art. 43.", 3),
                      ("1. COMMA ABROGATO DALLA L. 24 DICEMBRE 2007, N. 244.", None),
                      ("2. COMMA ABROGATO DALLA L. 24 DICEMBRE 2007, N. 244.", None)])
    state = {c.locator.article: c for c in chunks}
    assert not state["41-bis"].vigente
    assert state["41-bis"].repeal_note == "ARTICOLO ABROGATO DAL D.LGS. 14 MARZO 2013, N. 33"
    assert state["42"].vigente and state["42"].repeal_note is None
    assert not state["43"].vigente and "L. 24 DICEMBRE 2007" in (state["43"].repeal_note or "")
    assert repeal_message(state["41-bis"].repeal_note) == \
        "non in vigore: articolo abrogato dal d.lgs. 14 marzo 2013, n. 33"


def test_state_survives_the_store(tmp_path: Path) -> None:
    store = ingest_texts(tmp_path / "leggi", {"tuel.md": (
        "# D.Lgs. 18 agosto 2000, n. 267\n\n### Art. 41-bis.\n\n((ARTICOLO ABROGATO DAL "
        "D.LGS. 14 MARZO 2013, N. 33))\n\n### Art. 42. - Attribuzioni dei consigli\n\n1. Il "
        "consiglio ((comunale)) e' l'organo di indirizzo.\n\n2. COMMA ABROGATO DAL D.LGS. 15 "
        "MARZO 2010, N. 66.\n")}, tmp_path / "raccordo.db")
    chunks = {c.locator.article: c for c in store.chunks()}
    assert not chunks["41-bis"].vigente and chunks["41-bis"].repeal_note
    assert chunks["42"].vigente and chunks["42"].repealed == ("comma 2",)
    assert chunks["42"].amended


@pytest.mark.shared
def test_repealed_tuel_articles(tmp_path: Path, shared_dir: Path) -> None:
    store = Store(tmp_path / "raccordo.db")
    ingest_path(shared_dir / "corpus" / "dlgs_267_2000_TUEL_vigente.md", store)
    chunks = store.chunks()
    by_article: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        by_article.setdefault(chunk.locator.article or "", []).append(chunk)
    for article in ("22", "41-bis", "102", "103"):
        assert all(not c.vigente for c in by_article[article]), article
    assert "D.LGS. 14 MARZO 2013, N. 33" in (by_article["41-bis"][0].repeal_note or "")
    for article in ("42", "50", "107"):
        assert all(c.vigente for c in by_article[article]), article
    share = sum(not c.vigente for c in chunks) / len(chunks)
    assert 0 < share < 0.05


def test_amendment_marks_are_told_from_note_numbers() -> None:
    from ingest.vigenza import amendment_marked

    assert amendment_marked("Il sindaco ((e il presidente della provincia)) nomina")
    assert not amendment_marked("come previsto dall'articolo 3 ((1)) e (2)")
    assert not amendment_marked("Il sindaco nomina i responsabili degli uffici.")
    assert amendment_marked("presidente della provincia)) nomina")  # a quote cut inside
    assert amendment_marked("((e il presidente")
