"""Citation locators narrowed to the quoted comma and lettera; quantities; article headings."""

from __future__ import annotations

from pathlib import Path

import pytest
from answers_kit import OverlapSearcher, make_document

from bot.answers.answerer import Answerer
from bot.answers.citations import citation_for, place_url, quote_locator, quotes_locator
from bot.answers.extractive import has_quantity, select_quotes
from index.models import Hit
from ingest.models import Chunk, DocumentMeta, Locator
from ingest.store import Store

ART_8 = (
    "Art. 8. - (Conferenza Stato-citta' ed autonomie locali e Conferenza unificata)\n\n"
    "1. La Conferenza Stato-citta' ed autonomie locali e' unificata per le materie ed i "
    "compiti di interesse comune delle regioni, delle province e dei comuni.\n\n"
    "2. La Conferenza e' presieduta dal Presidente del Consiglio dei Ministri. Ne fanno parte "
    "inoltre quattordici sindaci designati dall'ANCI e sei presidenti di provincia designati "
    "dall'UPI, tra i quali:\n"
    "a) i sindaci delle citta' metropolitane;\n"
    "b) i presidenti delle province con piu' di trecentomila abitanti;\n\n"
    "3. La Conferenza e' convocata almeno ogni tre mesi, e in ogni caso su richiesta del "
    "Presidente dell'ANCI."
)


@pytest.fixture()
def hit(tmp_path: Path) -> Hit:
    store = Store(tmp_path / "raccordo.db")
    meta = DocumentMeta(title="D.Lgs. 28 agosto 1997, n. 281", kind="decree",
                        act="dlgs:281/1997")
    store.replace_document("shared", make_document("dlgs281.md", meta), [
        Chunk(0, ART_8, Locator(article="8", commi=("1", "2", "3"), letters=()),
              context="D.Lgs. 281/1997 — art. 8, commi 1-3")])
    [found] = OverlapSearcher(store).search("conferenza sindaci ANCI")
    return found


def _at(text: str) -> int:
    return ART_8.index(text)


def test_the_locator_names_the_comma_and_lettera_of_the_quote(hit: Hit) -> None:
    assert quote_locator(hit, _at("1. La Conferenza")).label() == "art. 8, comma 1"
    assert quote_locator(hit, _at("Ne fanno parte")).label() == "art. 8, comma 2"
    assert quote_locator(hit, _at("b) i presidenti")).label() == "art. 8, comma 2, lett. b)"
    assert quote_locator(hit, _at("3. La Conferenza")).label() == "art. 8, comma 3"
    # the article heading comes before any comma: the passage's own locator stays
    assert quote_locator(hit, 0) == hit.chunk.locator


def test_quotes_of_several_commi_keep_only_those_commi(hit: Hit) -> None:
    one = quotes_locator(hit, [_at("2. La Conferenza"), _at("a) i sindaci")])
    assert one.label() == "art. 8, comma 2, lett. a)"
    two = quotes_locator(hit, [_at("1. La Conferenza"), _at("3. La Conferenza")])
    assert two.commi == ("1", "3") and two.letters == ()
    citation = citation_for(hit, 1, "Ne fanno parte inoltre quattordici sindaci",
                            [_at("Ne fanno parte")])
    assert citation.locator == "D.Lgs. 281/1997, art. 8, comma 2"
    with pytest.raises(ValueError):
        citation_for(hit, 1, "Ne fanno parte", [len(ART_8) + 5])


def test_an_answer_cites_the_comma_it_quotes(hit: Hit, tmp_path: Path) -> None:
    class One:
        def search(self, query: str, k: int = 10, filters: object = None) -> list[Hit]:
            return [hit]

    answer = Answerer(One()).answer("Quanti sindaci designati dall'ANCI fanno parte della "
                                    "Conferenza Stato-città?")
    assert not answer.abstained and answer.citations
    assert "quattordici sindaci" in answer.text
    assert answer.citations[0].locator.startswith("D.Lgs. 281/1997, art. 8, comma 2")
    assert not any(line.startswith("«Art. 8.") for line in answer.text.splitlines())


def test_article_headings_are_never_quoted(hit: Hit) -> None:
    quotes = select_quotes("Art. 8 Conferenza Stato-città ed autonomie locali e Conferenza "
                           "unificata", [hit])
    assert quotes
    assert all(not q.text.startswith("Art. 8.") for q in quotes)


@pytest.mark.parametrize(("text", "expected"), [
    ("2. I lavori della conferenza si concludono non oltre quarantacinque giorni.", True),
    ("entro il 31 gennaio, il Piano della performance", True),
    ("soglia di 15.000 abitanti", True),
    ("1. La prima riunione si svolge ai sensi dell'articolo 14-bis, comma 2, lettera d).", False),
    ("Si applica la legge n. 78 e il d.lgs. 33/2013 secondo un criterio e una procedura.", False),
])
def test_quantities_are_not_the_numbers_of_provisions(text: str, expected: bool) -> None:
    assert has_quantity(text) is expected


MANUAL = ("1.3 Accesso al sistema\nL'accesso avviene con SPID dal portale dell'ente.\n"
          "La password del portale scade dopo novanta giorni e va rinnovata.\n"
          "Il rinnovo si chiede all'amministratore comunale.")


def _manual_hit(tmp_path: Path, url: str | None) -> Hit:
    store = Store(tmp_path / "raccordo.db")
    meta = DocumentMeta(title="Manuale utente del portale", kind="practice", url=url)
    turn = MANUAL.index("La password")
    store.replace_document("shared", make_document("manuale.pdf", meta), [
        Chunk(0, MANUAL, Locator(section=("1.3 Accesso al sistema",), page_start=4, page_end=6),
              context="Manuale — 1.3 Accesso al sistema, pp. 4-6",
              page_breaks=((0, 4), (turn, 5), (MANUAL.index("Il rinnovo"), 6)))])
    [found] = OverlapSearcher(store).search("password portale scade")
    assert found.chunk.page_breaks == ((0, 4), (turn, 5), (MANUAL.index("Il rinnovo"), 6))
    return found


def test_a_quote_is_cited_on_its_own_page(tmp_path: Path) -> None:
    url = "https://comune.example.it/manuale.pdf"
    hit = _manual_hit(tmp_path, url)
    quote = "La password del portale scade dopo novanta giorni e va rinnovata."
    citation = citation_for(hit, 1, quote, [MANUAL.index(quote)])
    assert citation.page == 5
    assert citation.locator.endswith("1.3 Accesso al sistema, p. 5")
    assert citation.url == url + "#page=5"
    # quotes on two pages name both; the passage itself keeps its own pages
    both = citation_for(hit, 1, quote, [MANUAL.index(quote), MANUAL.index("Il rinnovo")])
    assert both.page == 5 and both.locator.endswith("pp. 5-6")
    assert place_url(hit) == url + "#page=4"


def test_without_page_breaks_the_passage_pages_stay(tmp_path: Path) -> None:
    store = Store(tmp_path / "raccordo.db")
    meta = DocumentMeta(title="Manuale", kind="practice", url="https://example.it/m.html")
    store.replace_document("shared", make_document("m.pdf", meta), [
        Chunk(0, MANUAL, Locator(page_start=4, page_end=6), context="Manuale — pp. 4-6")])
    [hit] = OverlapSearcher(store).search("password portale scade")
    citation = citation_for(hit, 1, "Il rinnovo si chiede", [MANUAL.index("Il rinnovo")])
    assert citation.page == 4 and citation.locator.endswith("pp. 4-6")
    assert citation.url == "https://example.it/m.html"


def test_an_act_is_cited_with_a_link_to_its_article(tmp_path: Path) -> None:
    urn = "https://www.normattiva.it/uri-res/N2Ls?urn:nir:stato:decreto.legislativo:1997-08-28;281"
    store = Store(tmp_path / "raccordo.db")
    meta = DocumentMeta(title="D.Lgs. 28 agosto 1997, n. 281", kind="decree",
                        act="dlgs:281/1997", url=urn + "!vig=2025-11-04")
    store.replace_document("shared", make_document("dlgs281.md", meta), [
        Chunk(0, ART_8, Locator(article="8", commi=("1", "2", "3")), context="art. 8")])
    [hit] = OverlapSearcher(store).search("conferenza sindaci ANCI")
    citation = citation_for(hit, 1, "Ne fanno parte inoltre quattordici sindaci",
                            [_at("Ne fanno parte")])
    assert citation.url == urn + "~art8!vig=2025-11-04"
    assert citation.page is None
