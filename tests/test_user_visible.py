"""What a new user saw: Markdown marks in quotes, repeated titles, dead links, debug noise,
the taxonomy missing from an installed package."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from bot.answers.citations import citation_for, place_text
from bot.answers.markup import plain
from bot.telegram.formatting import citation_line
from index.models import Hit
from ingest.models import Chunk, DocumentMeta, Locator
from ingest.store import StoredDocument

REPO = Path(__file__).resolve().parents[1]
TITLE = "AgID - L'avviso di pagamento analogico nel sistema pagoPA"


def hit(url: str | None, section: tuple[str, ...], text: str = "Il **codice avviso** è stampato.",
        ) -> Hit:
    """A retrieved passage of a guideline whose first heading repeats its title."""
    meta = DocumentMeta(title=TITLE, kind="guideline", url=url)
    doc = StoredDocument(id=1, source="s", file="avviso.pdf", sha256="0" * 64, format="pdf",
                         meta=meta, pages=10, status="indexed", reason=None, chunks=1,
                         ingested_at=0.0)
    chunk = Chunk(ordinal=0, text=text, id=7, doc_id=1,
                  locator=Locator(section=section, page_start=4, page_end=6))
    return Hit(rank=1, score=1.0, chunk=chunk, document=doc)


@pytest.mark.parametrize(("marked", "shown"), [
    ("La **Stazione unica (SUA)** e il *nucleo*", "La Stazione unica (SUA) e il nucleo"),
    ("un **nucleo di\nsupporto** che", "un nucleo di\nsupporto che"),
    ("**a**\n\nb**", "a\n\nb**"),
    ("__forte__ e _enfasi_.", "forte e enfasi."),
    ("vedi [la guida](https://example.org/g) e `codice`", "vedi la guida e codice"),
    ("snake_case e file_name; 2 * 3 * 4 pure", "snake_case e file_name; 2 * 3 * 4 pure"),
    ("art. 3, c. 1-bis., lett. a)", "art. 3, c. 1-bis., lett. a)"),
])
def test_quotes_lose_inline_markdown(marked: str, shown: str) -> None:
    assert plain(marked) == shown


def test_the_citation_line_names_the_document_once() -> None:
    found = hit("https://www.pagopa.gov.it/avviso.pdf", (TITLE, "3. Il codice avviso"))
    citation = citation_for(found, 1, "Il **codice avviso** è stampato.")
    assert place_text(found) == "3. Il codice avviso, pp. 4-6"
    assert citation.locator.count("avviso di pagamento analogico") == 1
    line = citation_line(citation).plain
    assert line.count("avviso di pagamento analogico") == 1
    assert line.endswith("https://www.pagopa.gov.it/avviso.pdf#page=4")  # at the cited page


@pytest.mark.parametrize("url", ["esempio://raccordo/demo/scheda", "javascript:alert(1)",
                                 "file:///etc/passwd", None])
def test_a_citation_never_links_what_is_not_http(url: str | None) -> None:
    citation = citation_for(hit(url, ("Sezione",)), 1, "Il **codice avviso** è stampato.")
    assert citation.url is None
    assert "://" not in citation_line(citation).plain


def test_answers_on_the_demo_corpus_show_no_markdown(demo_service: Any) -> None:
    answer = demo_service.ask("Come si organizza un ufficio unico per le gare dei comuni?")
    assert answer.citations and "**" not in answer.text
    assert any("**" in c.quote for c in answer.citations), "quotes stay verbatim in JSON"


def test_the_cli_prints_no_library_debug_lines(tmp_path: Path) -> None:
    env = {**os.environ, "RACCORDO_DATA_DIR": str(tmp_path / "data")}
    for args in (["ingest", str(REPO / "corpus")], ["ask", "Chi coordina la SUA?"]):
        done = subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=600, check=True)
        assert "DEBUG" not in done.stderr and "bm25s" not in done.stderr


def test_the_taxonomy_ships_inside_the_package(tmp_path: Path) -> None:
    source = tmp_path / "src"  # build from a copy: setuptools leaves build/ beside the sources
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    for package in ("bot", "index", "ingest", "training"):
        shutil.copytree(REPO / package, source / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path / "dist"), str(source)], check=True, timeout=600,
                   capture_output=True)
    [wheel] = (tmp_path / "dist").glob("raccordo-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "bot/network/themes.yaml" in names
    assert "bot/templates/index.html" in names
    assert "index/weights/ranker-it.onnx" in names
