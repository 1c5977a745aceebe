"""/rivedi through the real bot and a fake Bot API: an admin names the right passage of an
answer voted 👎, skips one, declares another unanswerable; nobody else can."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_helpers import voted_down
from fake_bot_api import FakeBotAPI
from telegram_harness import ADMIN, ALICE, GROUP, RunningBot, bot_settings, open_appdb

from index.models import Filters

QUESTIONS = ("Chi approva il piano strategico metropolitano?",
             "Quali sono le zone omogenee?", "Quanto costa il parcheggio in centro?")


@pytest.fixture()
def fake() -> Iterator[FakeBotAPI]:
    """A fake Bot API server for one test."""
    with FakeBotAPI() as server:
        yield server


def test_an_admin_reviews_answers_voted_down(fake: FakeBotAPI, demo_service: Any,
                                              tmp_path: Path) -> None:
    appdb = open_appdb(tmp_path / "bot.db")
    first, second, third = (voted_down(demo_service, q, appdb) for q in QUESTIONS)
    settings = bot_settings(tmp_path / "bot", fake)
    with RunningBot(fake, settings, demo_service, appdb) as bot:
        [refused] = bot.say(ALICE, "/rivedi")
        assert "riservato agli amministratori" in refused.text
        [group] = bot.say(ADMIN, "/rivedi", chat_id=GROUP, chat_type="group")
        assert "chat privata" in group.text
        [shown] = bot.say(ADMIN, "/rivedi")
        assert f"Risposta con 👎 n. {first}" in shown.text and "piano strategico" in shown.text
        assert "Commento: Non è questo il passo" in shown.text
        assert "citato nella risposta con 👎" in shown.text
        message = fake.message(ADMIN, shown.result["message_id"])
        mark = fake.mark()
        fake.push_callback(ALICE, message, f"rv:{first}:0")  # not an admin: refused
        [alert] = fake.wait_for("answerCallbackQuery", after=mark)
        assert alert.params["text"] == "Riservato agli amministratori."
        assert appdb.reviews() == {}
        following = bot.tap(ADMIN, shown, "2")  # the second passage
        assert f"Risposta con 👎 n. {second}" in following.text
        assert fake.calls("editMessageReplyMarkup", after=mark)  # buttons gone once used
        skipped = bot.tap(ADMIN, following, "Salta")
        assert f"Risposta con 👎 n. {third}" in skipped.text
        back = bot.tap(ADMIN, skipped, "Le fonti non rispondono")
        assert f"Risposta con 👎 n. {second}" in back.text  # the skipped one comes back
        done = bot.tap(ADMIN, back, "Salta")
        assert "Nessun'altra risposta con 👎 da rivedere (1 con il passo giusto, 1 senza " \
               "risposta nelle fonti, 1 in attesa)" in done.text
    decisions = appdb.reviews()
    assert decisions[first][0] == "passage" and decisions[third][:2] == ("no_answer", [])
    assert second not in decisions
    (picked,) = decisions[first][1]
    hits = demo_service.search(QUESTIONS[0], k=5, filters=Filters(vigente=True))
    assert picked["evidence"].split()[0] in hits[1].chunk.text
    assert {row[1] for row in appdb.audit_rows() if row[2] == "review"} == {f"telegram:{ADMIN}"}
