"""`raccordo bot` as a process, the missing-token error, and the one error handler."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO
from fake_bot_api import TOKEN, FakeBotAPI
from telegram_harness import ALICE, RunningBot, bot_settings, open_appdb
from typer.testing import CliRunner

from bot.cli.main import app
from ingest.store import Store


def test_raccordo_bot_long_polls_the_configured_api_and_never_logs_the_token(
        tmp_path: Path) -> None:
    with FakeBotAPI() as fake:
        env = dict(os.environ, RACCORDO_TELEGRAM_TOKEN=TOKEN, RACCORDO_TELEGRAM_API_URL=fake.url,
                   RACCORDO_DATA_DIR=str(tmp_path), RACCORDO_TELEGRAM_ALLOWED_USERS=str(ALICE))
        process = subprocess.Popen(
            [sys.executable, "-c", "from bot.cli.main import main; main()", "--verbose", "bot"],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            fake.wait_for("setMyCommands", timeout=60)
            fake.push_message(ALICE, "/aiuto")
            [reply] = fake.wait_for("sendMessage")
        finally:
            process.send_signal(signal.SIGINT)
            out, err = process.communicate(timeout=30)
    assert "Conosco 0 documenti" in reply.text
    assert process.returncode == 0
    assert "getUpdates" in err  # debug logging was on...
    assert TOKEN not in out + err and TOKEN.split(":")[1] not in err  # ...without the token


def test_raccordo_bot_without_token_fails_with_an_italian_message(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["bot", "--data-dir", str(tmp_path)],
                                env={"RACCORDO_TELEGRAM_TOKEN": None})
    assert result.exit_code == 3
    assert "RACCORDO_TELEGRAM_TOKEN" in result.output


class BrokenService:
    """A service whose answers fail unexpectedly (the failure message holds the token)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def ask(self, *args: Any, **kwargs: Any) -> Any:
        """Always fails."""
        raise RuntimeError(f"guasto interno con {TOKEN}")


def test_unexpected_errors_are_logged_redacted_and_the_user_told(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = Store(tmp_path / "raccordo.db")
    with FakeBotAPI() as fake, caplog.at_level(logging.ERROR), RunningBot(
            fake, bot_settings(tmp_path, fake), BrokenService(store),
            open_appdb(tmp_path / "bot.db")) as bot:
        [reply] = bot.say(ALICE, "Chi approva il bilancio?")
    store.close()
    assert "Qualcosa è andato storto" in reply.text and "Traceback" not in reply.text
    [record] = [r for r in caplog.records if r.getMessage() == "errore nel bot"]
    assert record.exc_text and "guasto interno con <token>" in record.exc_text
    assert TOKEN not in caplog.text
