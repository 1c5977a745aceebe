"""Act keys, aliases and references in free text."""

from __future__ import annotations

import pytest

from ingest.acts import (
    ALIASES,
    act_key,
    act_label,
    act_spans,
    defined_acts,
    find_act_references,
    short_title,
    title_act,
)
from ingest.models import DocumentMeta


@pytest.mark.parametrize(("text", "key"), [
    ("D.Lgs. 18 agosto 2000, n. 267", "dlgs:267/2000"),
    ("decreto legislativo 267/2000", "dlgs:267/2000"),
    ("d. lgs. n. 33 del 2013", "dlgs:33/2013"),
    ("Legge 7 agosto 1990, n. 241 - Nuove norme", "legge:241/1990"),
    ("L. 241/90", "legge:241/1990"),
    ("d.p.r. 28 dicembre 2000, n. 445", "dpr:445/2000"),
    ("D.L. 24 giugno 2014, n. 90", "dl:90/2014"),
    ("Costituzione della Repubblica italiana", "costituzione"),
    ("Regolamento (UE) 2016/679", "reg-ue:2016/679"),
    ("il TUEL", "dlgs:267/2000"),
    ("una frase senza atti", None),
])
def test_act_key(text: str, key: str | None) -> None:
    assert act_key(text) == key


def test_aliases_cover_common_names() -> None:
    expected = {"tuel": "dlgs:267/2000", "cad": "dlgs:82/2005",
                "codice privacy": "dlgs:196/2003", "legge delrio": "legge:56/2014",
                "codice dei contratti": "dlgs:36/2023", "legge brunetta": "dlgs:150/2009",
                "decreto brunetta": "dlgs:150/2009", "testo unico pubblico impiego":
                "dlgs:165/2001", "decreto trasparenza": "dlgs:33/2013", "foia": "dlgs:33/2013",
                "legge madia": "legge:124/2015", "legge stanca": "legge:4/2004"}
    for name, key in expected.items():
        assert ALIASES[name] == key
        assert act_key(f"secondo la {name.title()}") == key


def test_find_act_references_pairs_articles_with_acts() -> None:
    text = ("ai sensi dell'art. 50, comma 5, del d.lgs. 267/2000 e dell'articolo 14-ter della "
            "legge 241/1990; art. 3-bis CAD; TUEL art. 107 e art. 5")
    refs = [(r.act, r.article, r.comma) for r in find_act_references(text)]
    assert refs == [("dlgs:267/2000", "50", "5"), ("legge:241/1990", "14-ter", None),
                    ("dlgs:82/2005", "3-bis", None), ("dlgs:267/2000", "107", None),
                    (None, "5", None)]
    first = find_act_references(text)[0]
    assert text[first.span[0]:first.span[1]] == "art. 50, comma 5, del d.lgs. 267/2000"


def test_labels_and_short_titles() -> None:
    assert act_label("dlgs:267/2000") == "D.Lgs. 267/2000"
    assert act_label("legge:241/1990") == "L. 241/1990"
    assert short_title(DocumentMeta(title="x", act="dlgs:82/2005")) == "D.Lgs. 82/2005 (CAD)"
    assert short_title(DocumentMeta(title="Breve")) == "Breve"


def test_title_act_only_when_the_document_is_the_act() -> None:
    assert title_act("D.Lgs. 18 agosto 2000, n. 267 - Testo unico") == "dlgs:267/2000"
    assert title_act("Costituzione della Repubblica italiana") == "costituzione"
    assert title_act("Linee guida AgID su acquisizione e riuso (artt. 68-69 CAD)") is None
    assert title_act("Vademecum nomina RTD e costituzione UTD in forma associata") is None


@pytest.mark.parametrize(("text", "acts"), [
    ("Entro quanto si pronuncia la Corte dei conti sulla delibera di costituzione di una "
     "nuova società ai sensi dell'art. 5 del d.lgs. 175/2016?", ["dlgs:175/2016"]),
    ("la costituzione in giudizio del comune", []),
    ("costituzione dell'ufficio per la transizione digitale", []),
    ("l'art. 119 della costituzione, comma 6", ["costituzione"]),
    ("Cosa dicono Costituzione e TUEL?", ["costituzione", "dlgs:267/2000"]),
    ("i principi della Costituzione in materia di autonomie", ["costituzione"]),
    ("atto di costituzione in forma associata dell'ufficio", []),
    ("Costituzione della Repubblica italiana", ["costituzione"]),
])
def test_costituzione_the_noun_is_not_the_constitution(text: str, acts: list[str]) -> None:
    """"Costituzione di/del…/in" sets something up; only the Constitution's own title keeps
    "della Repubblica" after it."""
    assert [r.act for r in find_act_references(text)] == acts


@pytest.mark.parametrize(("text", "refs"), [
    ("ai sensi dell'articolo 2359 del codice civile", [("rd:262/1942", "2359")]),
    ("art. 2359 c.c.", [("rd:262/1942", "2359")]),
    ("art. 2, comma 3, c.c.", [("rd:262/1942", "2")]),
    ("art. 640 c.p. e art. 414 c.p.p.", [("rd:1398/1930", "640"), ("dpr:447/1988", "414")]),
    ("l'art. 700 c.p.c.", [("rd:1443/1940", "700")]),
    ("il Codice della strada", [("dlgs:285/1992", None)]),
    ("il codice dei beni culturali e del paesaggio", [("dlgs:42/2004", None)]),
    # "C.C." without an article before it is the consiglio comunale, "C.P." a post box
    ("con deliberazione di C.C. n. 45 del 2020", []),
    ("l'articolo 5 e la delibera di C.C. n. 3", [(None, "5")]),
    ("C.P. 123, 70100 Bari", []),
])
def test_the_codes_are_acts(text: str, refs: list[tuple[str | None, str | None]]) -> None:
    assert [(r.act, r.article) for r in find_act_references(text)] == refs


def test_a_long_run_of_numbers_before_an_abbreviation_is_read_at_once() -> None:
    # numbers that could be split in many ways must not make the reading backtrack (a first
    # draft of the rule took minutes on the first line); the article is looked for in the
    # 80 characters before the abbreviation
    assert act_spans("art. 1 " + "2 " * 30 + "c.c.") == []  # not a list of articles
    assert act_spans("art. 1" + ", 2" * 20 + " c.c.")[-1][2] == "rd:262/1942"
    assert act_spans("art. 1" + ", 2" * 40 + " c.c.") == []  # the article is too far back


@pytest.mark.parametrize(("text", "key"), [
    ("Regolamento (UE) 2016/679", "reg-ue:2016/679"),
    ("regolamento (CE) n. 1998/2006 sugli aiuti de minimis", "reg-ue:2006/1998"),
    ("Reg. (CE) n. 1049/2001", "reg-ue:2001/1049"),
    ("regolamento (UE) n. 910/2014 (eIDAS)", "reg-ue:2014/910"),
    ("Regolamento (UE) 2019/1150", "reg-ue:2019/1150"),
    ("regolamento (UE) 23 luglio 2014 n. 910 del Parlamento europeo", "reg-ue:2014/910"),
])
def test_eu_regulations_are_keyed_year_first(text: str, key: str) -> None:
    assert act_key(text) == key


@pytest.mark.parametrize(("text", "names"), [
    ("1. Il trattamento avviene secondo le norme del regolamento (UE) 2016/679 del Parlamento "
     "europeo e del Consiglio, del 27 aprile 2016, di seguito «Regolamento», e del presente "
     "codice.", {"regolamento": "reg-ue:2016/679"}),
    # the act of the name's kind, not the directive the regulation repeals
    ("regolamento (UE) n. 910/2014 del Parlamento europeo e del Consiglio del 23 luglio 2014 "
     "... che abroga la direttiva 1999/93/CE, di seguito «Regolamento eIDAS»",
     {"regolamento eidas": "reg-ue:2014/910"}),
    ("definito dal regolamento (UE) 23 luglio 2014 n. 910 del Parlamento europeo e del "
     "Consiglio in materia di identificazione elettronica, di seguito \"Regolamento eIDAS\",",
     {"regolamento eidas": "reg-ue:2014/910"}),
    ("il decreto legislativo 18 agosto 2000, n. 267, di seguito denominato \"Testo unico\"",
     {"testo unico": "dlgs:267/2000"}),
    # a name that is no act's; an act of another sentence; an act of another kind
    ("presso il Garante per la protezione dei dati personali, di seguito «Garante»", {}),
    ("Vista la legge 7 agosto 1990, n. 241. Il presente decreto, di seguito «Decreto»", {}),
    ("ai sensi della legge 7 agosto 1990, n. 241, di seguito «Regolamento»", {}),
])
def test_names_an_act_gives_the_acts_it_cites(text: str, names: dict[str, str]) -> None:
    assert defined_acts(text) == names
