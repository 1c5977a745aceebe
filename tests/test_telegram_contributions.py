"""Contributions through the bot: upload, admin review, ingestion, escaping in replies."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_bot_api import FakeBotAPI
from telegram_harness import ADMIN, ALICE, RunningBot, bot_settings, open_appdb

DOC = (b"Regolamento del verde urbano di Bari\n\n"
       b"Art. 1 - Alberi monumentali\n\n"
       b"Sono tutelati gli alberi monumentali con circonferenza > 3 m & altezza < 25 m, "
       b"indicati nell'elenco <<A>> del Comune.\n")


@pytest.fixture()
def fake() -> Iterator[FakeBotAPI]:
    """A fake Bot API server for one test."""
    with FakeBotAPI() as server:
        yield server


def test_contribution_from_upload_to_searchable_document(fake: FakeBotAPI, fresh_service: Any,
                                                          tmp_path: Path) -> None:
    settings = bot_settings(tmp_path / "bot", fake)
    with RunningBot(fake, settings, fresh_service, open_appdb(tmp_path / "bot.db")) as bot:
        mark = fake.mark()
        fake.push_message(ALICE, document=fake.document("verde.txt", DOC, "text/plain"),
                          caption="città: bari | titolo: Verde <urbano> & alberi")
        received, notice = fake.wait_for("sendMessage", after=mark, count=2)
        assert received.params["chat_id"] == ALICE and "contributo n. 1" in received.text
        assert "Verde &lt;urbano&gt; &amp; alberi" in received.text
        assert notice.params["chat_id"] == ADMIN and "/approva 1" in notice.text
        assert fake.calls("download", after=mark)
        [pending] = bot.appdb.contributions("pending")
        assert Path(pending.stored_path).read_bytes() == DOC
        assert pending.city == "Bari" and pending.title == "Verde <urbano> & alberi"

        mark = fake.mark()
        fake.push_message(ADMIN, "/approva 1")
        told = fake.wait_for("sendMessage", after=mark, timeout=120,
                             where=lambda c: c.params["chat_id"] == ALICE)[0]
        assert "approvato" in told.text
        [approved] = bot.appdb.contributions("approved")
        doc = fresh_service.store.document(approved.doc_id)
        assert doc.meta.city == "Bari" and doc.meta.contributor == f"telegram:{ALICE}"
        assert doc.meta.title == "Verde <urbano> & alberi"
        assert not Path(pending.stored_path).exists()  # moved out of pending

        [found] = bot.say(ALICE, "/cerca alberi monumentali circonferenza")
        assert "circonferenza &gt; 3 m &amp; altezza &lt; 25 m" in found.text
        assert "&lt;&lt;A&gt;&gt;" in found.text
        assert "1. Verde &lt;urbano&gt; &amp; alberi" in found.text
        actions = [row[2] for row in bot.appdb.audit_rows()]
        assert {"contribution_received", "contribution_approved"} <= set(actions)
