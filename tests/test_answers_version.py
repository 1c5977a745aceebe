"""Every front door names the version of an act a quote was taken from ("testo vigente al"),
and explains Normattiva's marks of amended words in a quote."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from api_helpers import ready_client
from typer.testing import CliRunner

from bot.app.service import Raccordo
from bot.cli.main import app
from tests.conftest import make_settings

ACT = """---
url: https://www.normattiva.it/uri-res/N2Ls?urn:nir:stato:decreto.legislativo:2000-08-18;267
dataVigenza: 20251104
---

# Testo unico delle leggi sull'ordinamento degli enti locali

### Art. 50. - Competenze del sindaco e del presidente della provincia

1. Il sindaco e il presidente della provincia sono gli organi responsabili
dell'amministrazione del comune ((e della provincia)).
"""
GUIDE = "# Guida al portale\n\nIl portale dei servizi si apre con SPID o CIE.\n"
QUESTION = "Chi è responsabile dell'amministrazione del comune?"
TODAY = ("https://www.normattiva.it/uri-res/N2Ls?urn:nir:stato:decreto.legislativo:2000-08-18;267"
         "~art50!vig=")


@pytest.fixture(scope="module")
def act_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Raccordo]:
    """A service over one Normattiva act and one guide without a version."""
    root = tmp_path_factory.mktemp("versioni")
    folder = root / "fonti"
    folder.mkdir()
    (folder / "tuel.md").write_text(ACT, encoding="utf-8")
    (folder / "guida.md").write_text(GUIDE, encoding="utf-8")
    service = Raccordo(make_settings(root / "data"))
    assert not service.ingest(folder).failed
    yield service
    service.close()


def _cli(service: Raccordo, *args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--data-dir", str(service.settings.data_dir)],
                                env={"RACCORDO_CACHE_DIR": str(service.settings.cache_dir)})
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_the_cli_names_the_version_quoted(act_service: Raccordo) -> None:
    out = _cli(act_service, "ask", QUESTION)
    assert "\n    testo vigente al 4 novembre 2025" in out
    assert f"\n    testo vigente oggi: {TODAY}\n" in out
    assert "\n    tra (( )) le parole modificate o aggiunte da atti successivi" in out
    [citation] = json.loads(_cli(act_service, "ask", QUESTION, "--json"))["citations"]
    assert citation["in_force"] == "2025-11-04" and citation["file"] == "tuel.md"
    assert citation["amended"] is True and "((e della provincia))" in citation["quote"]
    assert citation["url"].endswith("~art50!vig=2025-11-04") and citation["current_url"] == TODAY
    listing = _cli(act_service, "documents")
    assert "tuel.md" in listing and "vigente al 4 novembre 2025" in listing
    guide = next(line for line in listing.splitlines() if "guida.md" in line)
    assert "vigente" not in guide
    documents = {d["file"]: d for d in json.loads(_cli(act_service, "documents", "--json"))}
    assert documents["tuel.md"]["in_force"] == "2025-11-04"
    assert documents["guida.md"]["in_force"] is None


def test_the_api_and_the_page_name_the_version_quoted(act_service: Raccordo) -> None:
    with ready_client(act_service) as client:
        payload = client.post("/api/ask", json={"question": QUESTION}).json()
        assert payload["citations"][0]["in_force"] == "2025-11-04"
        assert payload["citations"][0]["current_url"] == TODAY
        html = client.get("/", params={"q": QUESTION, "mode": "chiedi"}).text
        source = re.search(r'<details id="fonte-1">.*?</details>', html, re.S)
        assert source is not None
        assert ('<p class="vigenza">Testo vigente al 4 novembre 2025: verificare eventuali '
                "modifiche successive.") in source.group(0)
        assert f'<a href="{TODAY}" rel="noopener noreferrer">Testo vigente oggi' in source.group(0)
        assert '<p class="modifiche">Tra (( )) le parole modificate' in source.group(0)
        doc = next(d for d in act_service.store.documents() if d.file == "tuel.md")
        page = client.get(f"/documenti/{doc.id}").text
        assert "<dt>Testo vigente al</dt><dd>4 novembre 2025" in page
        assert f'<a href="{TODAY[:-len("~art50!vig=")]}!vig=" rel="noopener' in page
        assert '<p class="modifiche">Tra (( )) le parole modificate' in page
        guide = next(d for d in act_service.store.documents() if d.file == "guida.md")
        guide_page = client.get(f"/documenti/{guide.id}").text
        assert "Testo vigente al" not in guide_page and 'class="modifiche"' not in guide_page


def test_a_guide_says_no_version(act_service: Raccordo) -> None:
    answer = act_service.ask("Come si apre il portale dei servizi?")
    [citation] = answer.citations
    assert citation.file == "guida.md"
    assert citation.in_force is None and citation.version is None
    assert citation.to_json()["in_force"] is None and not citation.amended
    assert citation.current_url is None and citation.to_json()["current_url"] is None
