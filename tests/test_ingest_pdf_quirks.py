"""PDFs as the public administration publishes them: permission-only encryption, fake bold."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.ingest.makers import make_fake_bold_pdf, make_pdf
from hypothesis import given
from hypothesis import strategies as st

from ingest.glyphs import collapse_doubled_glyphs, collapse_doubled_line, is_doubled
from ingest.pipeline import ingest_path
from ingest.readers.pdf import NEEDS_PASSWORD
from ingest.store import Store

TEXT = "Delibera della città metropolitana sulla gestione associata delle gare."


def _ingest_one(tmp_path: Path, name: str, data: bytes) -> tuple[Store, object]:
    root = tmp_path / "docs"
    root.mkdir()
    (root / name).write_bytes(data)
    store = Store(tmp_path / "raccordo.db")
    (outcome,) = ingest_path(root, store).outcomes
    return store, outcome


@pytest.mark.parametrize("algorithm", ["AES-128", "AES-256", "RC4-128"])
def test_a_pdf_encrypted_for_permissions_only_is_read(tmp_path: Path, algorithm: str) -> None:
    data = make_pdf([[TEXT], ["Seconda pagina del documento cifrato."]],
                    owner_password="ufficio-protocollo", algorithm=algorithm)
    assert b"/Encrypt" in data
    store, outcome = _ingest_one(tmp_path, "delibera.pdf", data)
    assert outcome.status == "indexed", outcome.reason  # type: ignore[attr-defined]
    (doc,) = store.documents()
    assert doc.pages == 2
    text = " ".join(c.text for c in store.chunks(doc.id))
    assert TEXT in text and "Seconda pagina" in text


@pytest.mark.parametrize("algorithm", ["AES-128", "AES-256"])
def test_a_pdf_that_needs_an_opening_password_is_skipped(tmp_path: Path, algorithm: str) -> None:
    data = make_pdf([[TEXT]], password="segreta", algorithm=algorithm)
    store, outcome = _ingest_one(tmp_path, "riservato.pdf", data)
    assert outcome.status == "skipped"  # type: ignore[attr-defined]
    assert outcome.reason == NEEDS_PASSWORD  # type: ignore[attr-defined]
    assert "password" in NEEDS_PASSWORD and "cifrato" in NEEDS_PASSWORD
    assert not store.chunks()


def test_fake_bold_headings_are_read_once(tmp_path: Path) -> None:
    data = make_fake_bold_pdf([
        ("2.5 Personalizzazioni su Front Office", True),
        ("Per ciascuno sportello sono fornite delle personalizzazioni dell'allo", False),
        ("stesso modo: la tabella 6 6 54 M 22 77 c 12 99 resta com'è.", False),
        ("SSPPEECCIIFFIICCOO = SPECIFICO", True),
    ])
    store, outcome = _ingest_one(tmp_path, "configurazione.pdf", data)
    assert outcome.status == "indexed"  # type: ignore[attr-defined]
    text = "\n".join(c.text for c in store.chunks())
    assert "2.5 Personalizzazioni su Front Office" in text
    assert "PPeerr" not in text and "zzzz" not in text
    assert "personalizzazioni dell'allo" in text
    assert "6 6 54 M 22 77 c 12 99" in text
    assert "SSPPEECCIIFFIICCOO = SPECIFICO" in text  # printed doubled, then un-doubled once


@pytest.mark.parametrize(("printed", "read"), [
    ("22..55  PPeerrssoonnaalliizzzzaazziioonnii  ssuu  FFrroonntt  OOffffiiccee",
     "2.5 Personalizzazioni su Front Office"),
    ("33..  CCOOMMPPOONNEENNTTII  PPEERR  LL’’EERROOGGAAZZIIOONNEE  DDEEII  SSEERRVVIIZZII",
     "3. COMPONENTI PER L’EROGAZIONE DEI SERVIZI"),
    ("22..11  PPaarraammeettrrii  ccaasseellllaa  MMaaiill  //PPEECC",
     "2.1 Parametri casella Mail /PEC"),
    ("vedere il PPaarraaggrraaffoo 3 della guida", "vedere il Paragrafo 3 della guida"),
])
def test_doubled_runs_are_collapsed(printed: str, read: str) -> None:
    assert collapse_doubled_line(printed) == read


@pytest.mark.parametrize("line", [
    "allo stesso modo",  # "ll" inside a word is not a doubled word
    "ss ll zz",  # two-letter doubled words alone
    "zz  ee",  # a run too short to read as text
    "6 6 54 M 22 77 c 12 99 s 28 115",  # a table of numbers
    "11  22  33",  # numbers joined by two spaces: no letters
    "colore FFFF0000 e AABB",  # no vowel once un-doubled
    "Personalizzazioni su Front Office",
    "SSccooppoo:",  # odd length: not every character is paired
])
def test_ordinary_text_is_left_alone(line: str) -> None:
    assert collapse_doubled_line(line) == line


WORDS = ["Personalizzazioni", "allo", "della", "città", "metropolitana", "Front", "Office",
         "SUAP", "L’erogazione", "appalti", "comma", "art.", "oppure", "Sezione"]
TOKENS = [*WORDS, "2.5", "107", "zz", "ss", "ll", "22", "(a)", "e", "è"]


@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=8))
def test_plain_lines_are_unchanged(words: list[str]) -> None:
    line = " ".join(words)
    assert collapse_doubled_glyphs(line) == line


@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=8),
       st.lists(st.sampled_from(TOKENS), max_size=3))
def test_doubled_lines_come_back(words: list[str], tail: list[str]) -> None:
    line = " ".join(words + tail)
    printed = "".join(c + c for c in line)
    assert all(is_doubled(w) for w in printed.split())
    assert collapse_doubled_glyphs(f"{printed}\n{line}") == f"{line}\n{line}"


@pytest.mark.shared
def test_the_shared_fake_bold_pdfs_read_cleanly(shared_dir: Path) -> None:
    from ingest.readers.pdf import extract_pdf

    for name, heading in [("AVMTB_Configurazione_SUE_SUAP_AV_v1.pdf",
                           "2.5 Personalizzazioni su Front Office"),
                          ("OSAPULIE_architettura.pdf", "1.1 Scopo e applicabilità del documento")]:
        lines = [b.text for b in extract_pdf((shared_dir / "corpus" / name).read_bytes()).blocks]
        assert heading in lines, name
        assert not any("PPeerr" in line or "SSccooppoo" in line for line in lines), name
