"""Structure-shaped chunking: verbatim text, locators, article boundaries, sizes."""

from __future__ import annotations

from ingest.chunker import Chunker, ends_inside_citation
from ingest.legal import parse_units
from ingest.models import Block, DocumentMeta

META = DocumentMeta(title="D.Lgs. 18 agosto 2000, n. 267 - Testo unico", act="dlgs:267/2000")


def _sentences(prefix: str, n: int) -> str:
    return " ".join(f"{prefix} frase numero {i} del testo normativo." for i in range(n))


def _blocks() -> tuple[Block, ...]:
    return (
        Block("Art. 1 - Oggetto", heading_level=3),
        Block("1. " + _sentences("Primo", 3)),
        Block("2. " + _sentences("Secondo", 3)),
        Block("Art. 2 - Lungo", heading_level=3),
        Block("((", None),
        Block("1. " + _sentences("Lungo", 80)),
        Block("a) " + _sentences("Lettera", 3)),
        Block("2-bis. " + _sentences("Dopo", 2)),
        Block("Art. 3", heading_level=3),
        Block("1. Breve."),
    )


def test_short_articles_whole_and_never_mixed() -> None:
    chunks = Chunker(max_chars=600, overlap=60).chunk(parse_units(_blocks(), "markdown"),
                                                      META, "markdown")
    first = [c for c in chunks if c.locator.article == "1"]
    assert len(first) == 1 and first[0].locator.commi == ("1", "2")
    assert first[0].text.startswith("Art. 1 - Oggetto\n\n1. Primo")
    assert first[0].context == "D.Lgs. 267/2000 (TUEL) — art. 1, commi 1-2"
    for chunk in chunks:
        assert chunk.text.count("Art. ") <= 1


def test_long_comma_split_keeps_locator_heading_and_verbatim_text() -> None:
    blocks = _blocks()
    source = "\n\n".join(b.text for b in blocks)
    chunks = Chunker(max_chars=600, overlap=60).chunk(parse_units(blocks, "markdown"),
                                                      META, "markdown")
    art2 = [c for c in chunks if c.locator.article == "2"]
    assert len(art2) >= 4
    assert art2[0].text.startswith("Art. 2 - Lungo\n\n((\n\n1. Lungo")
    split = [c for c in art2 if c.locator.commi == ("1",)]
    assert len(split) >= 3
    assert all(len(c.text) <= 600 + len("Art. 2 - Lungo\n\n((\n\n") for c in split)
    assert split[-1].locator.letters == ("a",)
    assert any(c.locator.commi == ("2-bis",) for c in art2)
    for chunk in chunks:
        assert chunk.text in source  # verbatim slices of the document text
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))


def test_heading_never_alone_even_before_a_giant_comma() -> None:
    blocks = (Block("Art. 117.", heading_level=3), Block(_sentences("Potesta", 60)))
    chunks = Chunker(max_chars=500, overlap=50).chunk(parse_units(blocks, "markdown"),
                                                      META, "markdown")
    assert chunks[0].text.startswith("Art. 117.\n\nPotesta frase numero 0")
    assert all(c.locator.article == "117" and c.locator.commi == () for c in chunks)
    assert all(len(c.text) <= 500 for c in chunks)


def test_pdf_pages_and_sections() -> None:
    lines = ["1 Introduzione", "Testo della premessa."] + [f"riga {i} del manuale operativo"
                                                           for i in range(60)]
    blocks = tuple(Block(t, page=1 + i // 20) for i, t in enumerate(lines))
    meta = DocumentMeta(title="Manuale operativo del gestionale passi carrabili " * 3)
    chunks = Chunker(max_chars=400).chunk(parse_units(blocks, "pdf"), meta, "pdf")
    assert chunks[0].text.startswith("1 Introduzione\nTesto della premessa.")
    assert all(c.locator.section == ("1 Introduzione",) for c in chunks)
    assert chunks[-1].locator.page_end == 4
    for chunk in chunks:
        lines_in = chunk.text.split("\n")
        pages = {1 + lines.index(t) // 20 for t in lines_in}
        assert (chunk.locator.page_start, chunk.locator.page_end) == (min(pages), max(pages))
    assert chunks[0].context.startswith("Manuale operativo del gestionale passi carrabili")
    assert "…" in chunks[0].context.split(" — ")[0]
    spanning = [c for c in chunks if c.locator.page_start != c.locator.page_end]
    assert spanning and all(c.page_breaks for c in spanning)
    for chunk in chunks:  # every line's page, from where it sits in the chunk
        at = 0
        for line in chunk.text.split("\n"):
            page = 1 + lines.index(line) // 20
            assert chunk.pages_of(at, at + len(line)) == (page, page)
            at += len(line) + 1
    assert len(chunks[0].context.split(" — ")[0]) <= 81


def test_section_path_does_not_repeat_the_document_title() -> None:
    blocks = [Block("Ufficio unico gare", heading_level=1), Block("Contesto", heading_level=2),
              Block("La città metropolitana gestisce le gare dei comuni aderenti.")]
    meta = DocumentMeta(title="Ufficio unico gare")
    [chunk] = Chunker().chunk(parse_units(blocks, "markdown"), meta, "markdown")
    assert chunk.locator.section == ("Contesto",)
    assert chunk.context.count("Ufficio unico gare") == 1


def _manual_blocks() -> tuple[Block, ...]:
    return (
        Block("1 Scopo del documento", heading_level=1, page=3),
        Block("1.1 Sistema", heading_level=2, page=3),
        Block("Le aree vaste possono accedere al sistema.", page=3),
        Block("1.2 Introduzione", heading_level=2, page=3),
        Block("I ruoli definiti sono due: amministratore del portale e comunale.", page=4),
        Block("1.3 Accesso al sistema", heading_level=2, page=4),
        Block("L'accesso avviene tramite SPID dal portale dell'ente. " * 20, page=4),
        Block("2 Amministratore del portale", heading_level=1, page=5),
        Block("All'amministratore del portale è affidata la gestione dei comuni. " * 6, page=5),
    )


def test_short_sections_travel_with_the_next_ones_verbatim() -> None:
    blocks = _manual_blocks()
    source = "\n".join(b.text for b in blocks)
    meta = DocumentMeta(title="Manuale utente servizi online")
    chunks = Chunker(max_chars=1200, min_chars=400).chunk(parse_units(blocks, "pdf"), meta, "pdf")
    first = chunks[0]
    # 1.1 (one line) and 1.2 are joined; 1.3 would not fit with them, so it stands alone
    assert first.text.startswith("1 Scopo del documento\n1.1 Sistema\nLe aree vaste")
    assert "I ruoli definiti" in first.text and "SPID" not in first.text
    assert first.locator.section == ("1 Scopo del documento", "1.1 Sistema … 1.2 Introduzione")
    assert (first.locator.page_start, first.locator.page_end) == (3, 4)
    assert first.context.endswith("1 Scopo del documento > 1.1 Sistema … 1.2 Introduzione, "
                                  "pp. 3-4")
    assert chunks[1].locator.section == ("1 Scopo del documento", "1.3 Accesso al sistema")
    roles = first.text.index("I ruoli definiti")  # sections joined: their pages are kept
    assert first.page_breaks == ((0, 3), (roles, 4))
    assert first.pages_of(0, roles) == (3, 3) and first.pages_of(roles, roles + 5) == (4, 4)
    assert first.pages_of(0, len(first.text)) == (3, 4)
    assert chunks[1].page_breaks == ()  # one page: nothing to store
    for chunk in chunks:
        assert chunk.text in source and len(chunk.text) <= 1200
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))


def test_short_sections_stay_alone_without_a_minimum() -> None:
    chunks = Chunker(max_chars=1200, min_chars=0).chunk(parse_units(_manual_blocks(), "pdf"),
                                                        DocumentMeta(title="Manuale"), "pdf")
    assert [c.locator.section[-1] for c in chunks][:3] == [
        "1.1 Sistema", "1.2 Introduzione", "1.3 Accesso al sistema"]


def test_short_articles_are_never_joined() -> None:
    blocks = (Block("Art. 5 - Abrogato", heading_level=3), Block("1. (Abrogato)."),
              Block("Art. 6 - Abrogato", heading_level=3), Block("1. (Abrogato)."))
    chunks = Chunker(min_chars=400).chunk(parse_units(blocks, "markdown"), META, "markdown")
    assert [c.locator.article for c in chunks] == ["5", "6"]


def test_a_split_comma_keeps_where_each_page_begins() -> None:
    first = " ".join(f"Prima pagina frase {i} del comma." for i in range(5))
    second = " ".join(f"Seconda pagina frase {i} del comma." for i in range(5))
    rest = " ".join(f"Ancora seconda pagina frase {i} del comma." for i in range(40))
    blocks = (Block("Art. 5 - Accesso", page=1), Block("1. " + first, page=1),
              Block(second, page=2), Block(rest, page=2), Block("2. Comma finale.", page=3))
    chunks = Chunker(max_chars=1200, overlap=50).chunk(parse_units(blocks, "pdf"), META, "pdf")
    head = chunks[0]
    assert (head.locator.page_start, head.locator.page_end) == (1, 2)
    turn = head.text.index("Seconda pagina frase 0")
    assert head.page_breaks == ((0, 1), (turn, 2))
    assert [c.page_breaks for c in chunks[1:]] == [()] * (len(chunks) - 1)


def test_a_long_comma_is_never_cut_inside_a_citation() -> None:
    """Every sentence cites an act; the splitter may cut at any sentence's full stop, never
    at the dot of "n.", "art." or "D.P.R." (which would leave a passage ending mid-citation)."""
    cited = ("Si applica la legge 24 dicembre 2012, n. 243, come previsto dall'art. 175 e dal "
             "D.P.R. 28 dicembre 2000, n. 445, secondo la frase numero {i}.")
    blocks = (Block("Art. 9 - Citazioni", heading_level=3),
              Block("1. " + " ".join(cited.format(i=i) for i in range(40))))
    chunks = Chunker(max_chars=600, overlap=60).chunk(parse_units(blocks, "markdown"),
                                                      META, "markdown")
    assert len(chunks) >= 4
    for chunk in chunks:
        assert chunk.text.rstrip().endswith((".", ",")), chunk.text[-40:]
        assert not chunk.text.rstrip().endswith(("n.", "art.", "R.", "P.")), chunk.text[-40:]


def test_what_ends_inside_a_citation() -> None:
    for cut in ("della legge 24 dicembre 2012, n.", "previste dall'art.", "del D.P.R.",
                "ai sensi dell'art. 5, lett.", "(cfr.  "):
        assert ends_inside_citation(cut), cut
    for whole in ("entro trenta giorni.", "ai sensi del comma 1.", "della legge n. 241/1990.",
                  "le parti."):
        assert not ends_inside_citation(whole), whole
