"""Sniffing, decoding and each format reader, on small files made at test time."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.ingest.makers import make_docx, make_pdf

from ingest.errors import UnsupportedFormat
from ingest.readers import read_bytes
from ingest.readers.pdf import extract_pdf
from ingest.sniff import sniff
from ingest.textio import decode_bytes, normalise_text, read_text

FIX = Path(__file__).parent / "fixtures" / "ingest"


def test_cp1252_and_utf8_both_keep_accents() -> None:
    assert decode_bytes("città è perché".encode("cp1252")) == "città è perché"
    assert decode_bytes("città è perché".encode()) == "città è perché"
    assert decode_bytes(b"\xef\xbb\xbfcitt\xc3\xa0") == "città"
    text = read_text((FIX / "regolamento_cp1252.txt").read_bytes())
    assert "città metropolitana" in text and "«ente»" in text
    assert "\r" not in text and "\u00a0" not in text


def test_normalise_only_line_ends_spaces_and_soft_hyphens() -> None:
    assert normalise_text("a\r\nb\rc\u00a0d\u00ade  f") == "a\nb\nc de  f"


@pytest.mark.parametrize(("data", "name", "fmt"), [
    (b"%PDF-1.7\n...", "x.bin", "pdf"),
    (b"<!DOCTYPE html><html><body><h1>x</h1></body></html>", "renamed.pdf", "html"),
    (b"<p>&nbsp;</p>\n<table><tr><td><h1>SICLA</h1></td></tr></table>\n<p>Guida</p>", "a.txt",
     "html"),
    (b"---\nurl: https://x\n---\n\n# Titolo\n\ntesto", "a.txt", "markdown"),
    (b"# Uno\n\ntesto\n\n## Due\n\naltro", "a", "markdown"),
    (b"Titolo\n======\n\ntesto\n\nSezione\n-------\n\naltro", "a.rst.txt", "rst"),
    (b"Solo testo semplice.\n\nSecondo paragrafo.", "a.txt", "text"),
    (b"<?xml version='1.0'?><NIR xmlns='http://www.normeinrete.it/nir/2.2/'/>", "a", "nir-xml"),
    (b"<?xml version='1.0'?><akomaNtoso xmlns='http://docs.oasis-open.org/'/>", "a", "nir-xml"),
])
def test_sniff_reads_content_not_extension(data: bytes, name: str, fmt: str) -> None:
    assert sniff(data, name) == fmt


def test_sniff_docx_by_zip_content() -> None:
    assert sniff(make_docx([("ciao", None)]), "file.pdf") == "docx"


@pytest.mark.parametrize("data", [b"", b"   \n", bytes(range(256)) * 40, b"PK\x03\x04junk"])
def test_sniff_rejects_garbage(data: bytes) -> None:
    with pytest.raises(UnsupportedFormat):
        sniff(data, "garbage.pdf")


def test_text_reader_cp1252() -> None:
    parsed = read_bytes((FIX / "regolamento_cp1252.txt").read_bytes(), "text")
    texts = [b.text for b in parsed.blocks]
    assert texts[0] == "Regolamento della città metropolitana"
    assert "Art. 1 - Oggetto" in texts
    assert any(t.startswith("2. Le funzioni sono esercitate in forma associata secondo")
               for t in texts)


def test_markdown_reader_headings_front_matter_and_items() -> None:
    data = (b"---\nurl: https://www.normattiva.it/x\n---\n\n# Titolo atto\n\n"
            b"### Art. 10-bis. - Sanzioni\n\n1. Primo comma.\n\n- a) lettera uno;\n"
            b"- b) lettera due.\n")
    parsed = read_bytes(data, "markdown")
    assert parsed.props["url"] == "https://www.normattiva.it/x"
    assert parsed.title == "Titolo atto"
    assert [(b.text, b.heading_level) for b in parsed.blocks] == [
        ("Titolo atto", 1), ("Art. 10-bis. - Sanzioni", 3), ("1. Primo comma.", None),
        ("- a) lettera uno;", None), ("- b) lettera due.", None)]


def test_rst_reader_underlined_titles_and_directives() -> None:
    data = (b"Strumento 16 - Modello\n======================\n\n.. toctree::\n   :maxdepth: 2\n\n"
            b"   a.rst\n\n16.1 - Anagrafica\n-----------------\n\n**Ente:** Regione\n"
            b"Puglia\n")
    parsed = read_bytes(data, "rst")
    assert [(b.text, b.heading_level) for b in parsed.blocks] == [
        ("Strumento 16 - Modello", 1), ("16.1 - Anagrafica", 2),
        ("**Ente:** Regione\nPuglia", None)]


def test_html_reader_drops_navigation_and_keeps_headings() -> None:
    data = ("<html><head><title>Linee guida</title><script>var x=1;</script></head><body>"
            "<nav><ul><li>Menu</li></ul></nav><h1>Licenze<a class='headerlink'>¶</a></h1>"
            "<p>Testo   della <b>città</b>.</p><ul><li>voce uno</li><li>voce due</li></ul>"
            "<h2>Costi</h2><div>testo libero<p>dentro</p></div></body></html>").encode()
    parsed = read_bytes(data, "html")
    assert parsed.title == "Linee guida"
    assert [(b.text, b.heading_level) for b in parsed.blocks] == [
        ("Licenze", 1), ("Testo della città.", None), ("voce uno", None), ("voce due", None),
        ("Costi", 2), ("testo libero", None), ("dentro", None)]


def test_docx_reader_heading_styles_and_core_title() -> None:
    data = make_docx([("Piano strategico", "Title"), ("3 Servizi", "Heading 1"),
                      ("3.2 Interoperabilità", "Heading 2"), ("Le unioni di comuni.", None)],
                     title="Piano strategico metropolitano")
    parsed = read_bytes(data, "docx")
    assert parsed.title == "Piano strategico metropolitano"
    assert [(b.text, b.heading_level) for b in parsed.blocks] == [
        ("Piano strategico", 1), ("3 Servizi", 1), ("3.2 Interoperabilità", 2),
        ("Le unioni di comuni.", None)]


def test_pdf_reader_is_page_aware() -> None:
    data = make_pdf([["Relazione annuale", "La città metropolitana."],
                     ["Seconda pagina con testo sufficiente."]], title="Relazione 2024")
    parsed = extract_pdf(data)
    assert parsed.pages == 2 and parsed.title == "Relazione 2024"
    assert [(b.text, b.page) for b in parsed.blocks] == [
        ("Relazione annuale", 1), ("La città metropolitana.", 1),
        ("Seconda pagina con testo sufficiente.", 2)]


def test_nir_reader_monovigente_quirks() -> None:
    parsed = read_bytes((FIX / "nir_sample.xml").read_bytes(), "nir-xml")
    texts = [(b.text, b.heading_level) for b in parsed.blocks]
    assert parsed.title == "Codice di prova."
    assert ("Art. 3-bis", 3) in texts  # the h:p heading, not the "Art. 3 bis." <num>
    assert ("Art. 3 bis.", 3) not in texts
    assert ("((1. I soggetti tenuti all'iscrizione hanno l'obbligo di dotarsi di un "
            "domicilio digitale.))", None) in texts
    # the preamble comes before the article heading that follows it
    order = [t for t, _ in texts]
    assert order.index("IL PRESIDENTE DELLA REPUBBLICA") < order.index("Art. 1")


def test_akoma_ntoso_reader() -> None:
    parsed = read_bytes((FIX / "akn_sample.xml").read_bytes(), "nir-xml")
    texts = [b.text for b in parsed.blocks]
    assert "Art. 2-bis. - Zone omogenee" in texts
    assert "2. Sono forme associative:" in texts
    assert "a) le unioni di comuni;" in texts


def test_pdf_running_headers_are_dropped() -> None:
    words = ["anagrafe", "tributi", "edilizia", "ambiente", "mobilità", "cultura", "sociale",
             "turismo", "scuola", "sport", "verde", "polizia"]
    pages = [[f"Manuale operativo - Pag. {n} di 4",
              *[f"Servizio {w} del comune." for w in words[n - 1::4]], "Nota ripetuta a metà.",
              *[f"Ufficio {w} associato." for w in words[n - 1::4]]] for n in range(1, 5)]
    parsed = extract_pdf(make_pdf(pages))
    texts = [b.text for b in parsed.blocks]
    assert not any(t.startswith("Manuale operativo") for t in texts)
    assert "Servizio edilizia del comune." in texts
    assert texts.count("Nota ripetuta a metà.") == 4  # repeated, but not at the page edge


def test_nir_structured_commi_without_html() -> None:
    data = (b"<?xml version='1.0'?><NIR xmlns='http://www.normeinrete.it/nir/2.2/'><Legge>"
            b"<articolato><capo><num>Capo I</num><rubrica>Principi</rubrica>"
            b"<articolo><num>Art. 4.</num><rubrica>Oggetto</rubrica>"
            b"<comma><num>1.</num><corpo>La legge disciplina le unioni.</corpo></comma>"
            b"<comma><num>2.</num><alinea>Sono organi:</alinea>"
            b"<el><num>a)</num><corpo>il presidente;</corpo></el></comma>"
            b"</articolo></capo></articolato></Legge></NIR>")
    parsed = read_bytes(data, "nir-xml")
    assert [(b.text, b.heading_level) for b in parsed.blocks] == [
        ("Capo I Principi", 3), ("Art. 4. - Oggetto", 3),
        ("1. La legge disciplina le unioni.", None), ("2. Sono organi:", None),
        ("a) il presidente;", None)]
