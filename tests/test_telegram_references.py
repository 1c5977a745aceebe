"""📄 Fonti in the bot: formal citation, version of the text, and a button to open each
provision a quote cites."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_bot_api import FakeBotAPI
from telegram_harness import RunningBot, bot_settings, new_user_id, open_appdb
from test_answers_legal import TUEL

from bot.app.service import Raccordo


@pytest.fixture()
def legal_bot(tmp_path: Path) -> Iterator[RunningBot]:
    folder = tmp_path / "leggi"
    folder.mkdir()
    (folder / "tuel.md").write_text("---\ndataVigenza: 20251104\n---\n\n" + TUEL,
                                    encoding="utf-8")
    with FakeBotAPI() as fake:
        settings = bot_settings(tmp_path / "data", fake)
        service = Raccordo(settings)
        service.ingest(folder)
        try:
            with RunningBot(fake, settings, service, open_appdb(tmp_path / "bot.db")) as bot:
                yield bot
        finally:
            service.close()


def test_sources_offer_the_cited_provision(legal_bot: RunningBot) -> None:
    uid = new_user_id()
    legal_bot.appdb.add_user(uid)
    reply = legal_bot.ask(uid, "Chi nomina i responsabili degli uffici e dei servizi?")
    sources = legal_bot.tap(uid, reply, "Fonti")  # one page: it carries the keyboard
    assert "Cita come: art. 50, comma 10, d.lgs. 18 agosto 2000, n. 267" in sources.text
    assert "Rinvii: articolo 42, comma 1" in sources.text
    # the version quoted, so that the official checks it against later amendments
    assert ("Testo vigente al 4 novembre 2025: verificare eventuali modifiche successive."
            in sources.text)
    opened = legal_bot.tap(uid, sources, "articolo 42")
    assert "Art. 42" in opened.text or "art. 42" in opened.text
    assert "organo di indirizzo" in opened.text
