"""Formal Italian citations of chunks of acts."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.citation import act_citation, formal_citation
from ingest.models import DocumentMeta, Locator
from ingest.pipeline import ingest_path
from ingest.store import Store


@pytest.mark.parametrize(("title", "act", "locator", "expected"), [
    ("D.Lgs. 18 agosto 2000, n. 267 - Testo unico degli enti locali", "dlgs:267/2000",
     Locator(article="107", commi=("3",)), "art. 107, comma 3, d.lgs. 18 agosto 2000, n. 267"),
    ("Legge 7 agosto 1990, n. 241 - Procedimento amministrativo", "legge:241/1990",
     Locator(article="14-bis"), "art. 14-bis, l. 7 agosto 1990, n. 241"),
    ("D.P.R. 28 dicembre 2000, n. 445 - Documentazione amministrativa", "dpr:445/2000",
     Locator(article="46", commi=("1",), letters=("a",)),
     "art. 46, comma 1, lett. a), d.P.R. 28 dicembre 2000, n. 445"),
    ("Costituzione della Repubblica italiana", "costituzione",
     Locator(article="117", commi=("2",), letters=("m",)),
     "art. 117, secondo comma, lett. m), Cost."),
    ("D.Lgs. 7 marzo 2005, n. 82 - Codice dell'amministrazione digitale (CAD)", "dlgs:82/2005",
     Locator(article="68", commi=("1", "1-bis")), "art. 68, commi 1 e 1-bis, d.lgs. 7 marzo "
     "2005, n. 82"),
    ("Legge 1° dicembre 1970, n. 898", "legge:898/1970", Locator(article="3"),
     "art. 3, l. 1° dicembre 1970, n. 898"),
    ("Regolamento (UE) 2016/679 (GDPR)", "reg-ue:2016/679", Locator(article="6", commi=("1",)),
     "art. 6, par. 1, reg. (UE) 2016/679"),
    ("Decreto sulle misure urgenti", "dl:78/2010", Locator(article="9", commi=("2", "3", "4")),
     "art. 9, commi da 2 a 4, d.l. n. 78/2010"),
    ("D.Lgs. 18 agosto 2000, n. 267", "dlgs:267/2000", Locator(section=("Titolo I",)),
     "d.lgs. 18 agosto 2000, n. 267"),
])
def test_formal_citations(title: str, act: str, locator: Locator, expected: str) -> None:
    assert formal_citation(locator, DocumentMeta(title=title, act=act)) == expected


def test_documents_that_are_no_act_have_no_formal_citation() -> None:
    meta = DocumentMeta(title="Linee guida AgID (artt. 68-69 CAD)", kind="guideline")
    assert formal_citation(Locator(article="2"), meta) is None


def test_the_date_must_be_the_acts_own() -> None:
    # a title naming another date keeps the number-and-year form
    assert act_citation("legge:241/1990", "Testo vigente al 4 novembre 2025") == \
        "l. n. 241/1990"


@pytest.mark.shared
def test_citations_of_the_shared_laws(tmp_path: Path, shared_dir: Path) -> None:
    store = Store(tmp_path / "raccordo.db")
    for law in ("dlgs_267_2000_TUEL_vigente.md", "dlgs_82_2005_CAD.xml",
                "costituzione_repubblica_italiana_vigente.md"):
        ingest_path(shared_dir / "corpus" / law, store)
    cited = {formal_citation(c.locator, d.meta) for d in store.documents()
             for c in store.chunks(d.id)}
    assert "art. 107, comma 3, lett. da a) a f), d.lgs. 18 agosto 2000, n. 267" in cited
    assert "art. 68, comma 1, lett. da a) a f), d.lgs. 7 marzo 2005, n. 82" in cited
    assert "art. 117, Cost." in cited
