"""The dates of cited acts, read from how the knowledge base cites them, and the links they
give to acts outside it."""

from __future__ import annotations

import pytest

from ingest.actdates import act_dates, written_date
from ingest.acts import KNOWN_DATES
from ingest.links import act_link

NIR = "https://www.normattiva.it/uri-res/N2Ls?urn:nir:"


@pytest.mark.parametrize(("text", "act", "date"), [
    ("decreto legislativo 30\nluglio 1999, n. 300", "dlgs:300/1999", "1999-07-30"),
    ("legge 1° dicembre 2018, n. 132", "legge:132/2018", "2018-12-01"),
    ("D.L. 24 Febbraio 2023, n. 13", "dl:13/2023", "2023-02-24"),
    ("D.Lgs. 50/2016", "dlgs:50/2016", None),  # no date written
    # a date of another year is not the act's (here the law converting a decree)
    ("d.l. 31 dicembre 2007, n. 248, convertito dalla legge 28 febbraio 2008", "legge:31/2008",
     "2008-02-28"),
    ("d.l. n. 248/2007, come convertito il 28 febbraio 2008", "dl:248/2007", None),
    ("legge 31 febbraio 2001, n. 9", "legge:9/2001", None),  # not a real day
])
def test_the_date_written_in_a_reference(text: str, act: str, date: str | None) -> None:
    assert written_date(text, act) == date


def test_an_acts_date_is_the_one_its_citations_write_most() -> None:
    dates = act_dates([
        ("dlgs:165/2001", "d.lgs. 31 marzo 2001, n. 165"),  # a typing error in one source
        ("dlgs:165/2001", "decreto legislativo 30 marzo 2001, n. 165"),
        ("dlgs:165/2001", "d.lgs. n. 165/2001"),
        ("dlgs:165/2001", "D.Lgs. 30 marzo 2001 n. 165"),
        ("legge:241/1990", "legge n. 241 del 1990"),
    ])
    assert dates["dlgs:165/2001"] == "2001-03-30"
    assert act_dates([("dl:1/2020", "d.l. 2 gennaio 2020"), ("dl:1/2020", "d.l. 3 gennaio 2020")]
                     )["dl:1/2020"] == "2020-01-02"  # a tie: the date met first
    assert "dl:9/2020" not in act_dates([("dl:9/2020", "d.l. n. 9/2020")])  # none written


def test_acts_known_by_a_common_name_have_their_date() -> None:
    dates = act_dates([("legge:241/1990", "legge 8 agosto 1990, n. 241")])  # a typing error
    assert dates["legge:241/1990"] == "1990-08-07"
    assert dates["rd:262/1942"] == "1942-03-16"  # the civil code, never cited with its date
    assert set(KNOWN_DATES.values()) <= set(dates.values())


@pytest.mark.parametrize(("act", "day", "article", "url"), [
    ("dlgs:179/2016", "2016-08-26", "20",
     NIR + "stato:decreto.legislativo:2016-08-26;179~art20!vig="),
    ("legge:241/1990", "1990-08-07", "21-nonies",
     NIR + "stato:legge:1990-08-07;241~art21nonies!vig="),
    ("dl:112/2008", "2008-06-25", None, NIR + "stato:decreto.legge:2008-06-25;112!vig="),
    ("dpr:445/2000", "2000-12-28", "53",
     NIR + "presidente.repubblica:decreto:2000-12-28;445~art53!vig="),
    ("rd:639/1910", "1910-04-14", "2", NIR + "stato:regio.decreto:1910-04-14;639~art2!vig="),
    ("costituzione", None, "117", NIR + "stato:costituzione:1947-12-27~art117!vig="),
    ("rd:262/1942", "1942-03-16", "2359", NIR + "stato:regio.decreto:1942-03-16;262~art2359!vig="),
    ("reg-ue:2016/679", None, "6",
     "https://eur-lex.europa.eu/legal-content/IT/TXT/?uri=CELEX:32016R0679"),
    ("reg-ue:2006/1998", None, None,  # "reg. (CE) n. 1998/2006" (de minimis), keyed year first
     "https://eur-lex.europa.eu/legal-content/IT/TXT/?uri=CELEX:32006R1998"),
    ("reg-ue:1049/2001", None, None, None),  # not a year: no link rather than a wrong one
    ("dlgs:179/2016", None, "20", None),  # no date known
    ("dlgs:179/2016", "2015-08-26", None, None),  # a date of another year
    ("dm:5/2020", "2020-01-10", None, None),  # which ministry: not in the key
    (None, "2020-01-10", "5", None),
])
def test_an_act_outside_the_archive_links_its_public_text(
        act: str | None, day: str | None, article: str | None, url: str | None) -> None:
    assert act_link(act, day, article) == url
