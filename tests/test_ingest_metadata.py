"""Manifest, sidecar and fallback metadata."""

from __future__ import annotations

from pathlib import Path

from ingest.metadata import (
    build_meta,
    declared,
    load_manifest,
    load_sidecar,
    meta_matches,
    normalise_kind,
    normalise_url,
)
from ingest.models import Block
from ingest.readers import Parsed


def test_manifest_tsv_and_csv(tmp_path: Path) -> None:
    (tmp_path / "MANIFEST.tsv").write_text(
        "file\ttitle\tkind\tissuing_body\tyear\tsource\tcity\n"
        "a.md\tLegge 7 agosto 1990, n. 241 - Procedimento\tlaw\tStato\t1990\t"
        "github.com/ondata/x\tRoma\n", encoding="utf-8")
    row = load_manifest(tmp_path)["a.md"]
    meta = build_meta("a.md", row, None)
    assert (meta.title, meta.kind, meta.issuer, meta.year, meta.city) == (
        "Legge 7 agosto 1990, n. 241 - Procedimento", "law", "Stato", 1990, "Roma")
    assert meta.url == "https://github.com/ondata/x" and meta.act == "legge:241/1990"
    other = tmp_path / "csv"
    other.mkdir()
    (other / "MANIFEST.csv").write_text("file,titolo,tipo,anno\nb.pdf,Piano,piano,2024\n",
                                        encoding="cp1252")
    meta = build_meta("b.pdf", load_manifest(other)["b.pdf"], None)
    assert (meta.title, meta.kind, meta.year) == ("Piano", "plan", 2024)


def test_sidecar_wins_over_manifest(tmp_path: Path) -> None:
    doc = tmp_path / "scheda.md"
    doc.write_text("# x\n")
    (tmp_path / "scheda.md.meta.yaml").write_text(
        "title: Scheda unione dei comuni\nkind: pratica\ncity: Bari\nthemes: [servizi, unioni]\n")
    fields = declared({"title": "Dal manifest", "kind": "other", "year": "2020"},
                      load_sidecar(doc))
    meta = build_meta("scheda.md", fields, None)
    assert (meta.title, meta.kind, meta.city, meta.year) == (
        "Scheda unione dei comuni", "practice", "Bari", 2020)
    assert meta.themes == ("servizi", "unioni")


def test_fallbacks_from_the_document() -> None:
    parsed = Parsed(blocks=(Block("Intro"), Block("Relazione 2023", heading_level=1)),
                    props={"url": "https://www.normattiva.it/x"})
    meta = build_meta("dir/rel.md", {}, parsed)
    assert (meta.title, meta.year) == ("Relazione 2023", 2023)
    assert meta.url == "https://www.normattiva.it/x"
    meta = build_meta("dir/piano_urbano.txt", {}, Parsed(blocks=()))
    assert meta.title == "piano urbano" and meta.kind == "other"
    parsed = Parsed(blocks=(), title="Decreto legislativo 30 marzo 2001, n. 165")
    meta = build_meta("x.pdf", {}, parsed)
    assert (meta.act, meta.kind, meta.year) == ("dlgs:165/2001", "decree", 2001)


def test_kinds_urls_and_change_detection() -> None:
    assert normalise_kind("Linee guida") == "guideline"
    assert normalise_kind("statuto") == "statute"
    assert normalise_kind("boh") == "other"
    assert normalise_url("https://a.it/x") == "https://a.it/x"
    assert normalise_url("github.com/a/b@c:d.md") == "https://github.com/a/b@c:d.md"
    stored = build_meta("a", {"title": "T", "city": "Bari"}, None)
    assert meta_matches(stored, {"title": "T", "city": "Bari"})
    assert not meta_matches(stored, {"title": "T", "city": "Milano"})


def test_city_comes_from_the_issuer_when_not_declared() -> None:
    from ingest.metadata import build_meta, city_from_issuer

    bari = "Area Vasta Metropoli Terra di Bari (Comune di Bari capofila)"
    assert city_from_issuer(bari) == "Bari"
    assert city_from_issuer("Citta' metropolitana di Venezia / Citta' metropolitana di Milano") \
        == "Venezia"
    assert city_from_issuer("Regione Piemonte") is None
    meta = build_meta("a.pdf", {"title": "Manuale", "issuer": "Comune di Bari"}, None)
    assert meta.city == "Bari"
    declared = build_meta("a.pdf", {"title": "M", "issuer": "Comune di Bari", "city": "Roma"}, None)
    assert declared.city == "Roma"
