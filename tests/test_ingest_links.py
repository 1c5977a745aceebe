"""Links that open a source at the cited place: Normattiva articles and versions, PDF pages."""

from __future__ import annotations

import pytest

from ingest.links import link_place, link_today, link_version
from ingest.metadata import build_meta
from ingest.models import Locator
from ingest.readers import Parsed

TUEL = "https://www.normattiva.it/uri-res/N2Ls?urn:nir:stato:decreto.legislativo:2000-08-18;267"
COST = "https://www.normattiva.it/uri-res/N2Ls?urn:nir:stato:costituzione:1947-12-27"


@pytest.mark.parametrize(("url", "article", "expected"), [
    (TUEL, "107", TUEL + "~art107"),
    (TUEL, "41-bis", TUEL + "~art41bis"),
    (TUEL, "2-septiesdecies", TUEL + "~art2septiesdecies"),
    (TUEL + "!vig=2025-11-04", "50", TUEL + "~art50!vig=2025-11-04"),
    (TUEL + "@originale", "50", TUEL + "~art50@originale"),
    (COST, "117", COST + "~art117"),
    (TUEL + "~art5", "50", TUEL + "~art5"),  # a link that already names its article
    (TUEL, "XVIII", TUEL),  # not an article number Normattiva's URN can carry
])
def test_normattiva_links_open_the_cited_article(url: str, article: str, expected: str) -> None:
    assert link_place(url, Locator(article=article, commi=("3",))) == expected


def test_a_section_without_article_keeps_the_acts_link() -> None:
    assert link_place(TUEL, Locator(section=("Titolo I",))) == TUEL


@pytest.mark.parametrize(("url", "expected"), [
    ("https://comune.example.it/albo/delibera%2012.pdf", "https://comune.example.it/albo/"
     "delibera%2012.pdf#page=5"),
    ("https://comune.example.it/albo/DELIBERA.PDF?v=2", "https://comune.example.it/albo/"
     "DELIBERA.PDF?v=2#page=5"),
    ("https://comune.example.it/albo/delibera.pdf#page=2", "https://comune.example.it/albo/"
     "delibera.pdf#page=2"),  # a fragment of its own is left alone
    ("https://comune.example.it/atti/delibera.html", "https://comune.example.it/atti/"
     "delibera.html"),
    ("ftp://comune.example.it/delibera.pdf", "ftp://comune.example.it/delibera.pdf"),
])
def test_pdf_links_open_the_cited_page(url: str, expected: str) -> None:
    assert link_place(url, Locator(page_start=5, page_end=6)) == expected


def test_nothing_to_narrow() -> None:
    assert link_place(None, Locator(article="1")) is None
    assert link_place("", Locator(page_start=1)) == ""
    assert link_place("https://example.it/a.pdf", Locator()) == "https://example.it/a.pdf"


def test_versions_pin_only_normattiva_links_with_a_real_date() -> None:
    assert link_version(TUEL, "20251104") == TUEL + "!vig=2025-11-04"
    assert link_version(TUEL, "2025-11-04") == TUEL + "!vig=2025-11-04"
    assert link_version(TUEL + "!vig=2020-01-01", "20251104") == TUEL + "!vig=2020-01-01"
    assert link_version(TUEL, "4 novembre") == TUEL
    assert link_version(TUEL, None) == TUEL
    assert link_version("https://example.it/a", "20251104") == "https://example.it/a"
    assert link_version(None, "20251104") is None


def test_a_pinned_version_links_to_the_text_in_force_today() -> None:
    assert link_today(TUEL + "~art50!vig=2025-11-04") == TUEL + "~art50!vig="
    assert link_today(TUEL + "!vig=2025-11-04") == TUEL + "!vig="
    # not pinned to a date: already today's (or the multi-version) text, nothing to compare
    assert link_today(TUEL) is None and link_today(TUEL + "!vig=") is None
    assert link_today(TUEL + "@originale") is None
    assert link_today("https://example.it/a.pdf#page=3") is None and link_today(None) is None


def test_a_normattiva_file_links_to_the_version_it_holds() -> None:
    parsed = Parsed(blocks=(), title="Testo unico", props={"url": TUEL, "dataVigenza": "20251104"})
    assert build_meta("tuel.md", {}, parsed).url == TUEL + "!vig=2025-11-04"
    # a URL the manifest declares is used as declared
    declared = build_meta("tuel.md", {"url": TUEL}, parsed)
    assert declared.url == TUEL
