"""What the test machine provides: the CI flag, Debian's Chromium; `absent` skips or fails."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import NoReturn

import pytest

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome-stable", "google-chrome")


def in_ci() -> bool:
    """True when the CI variable is set (CI=true, as CI services and `.ci/run` set it)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def absent(what: str) -> NoReturn:
    """Skip a test whose environment is missing locally; in CI a missing piece is a failure."""
    if in_ci():
        pytest.fail(f"{what} (in CI nulla si salta: CI={os.environ['CI']})", pytrace=False)
    pytest.skip(what)


def find_chromium() -> Path | None:
    """RACCORDO_CHROMIUM if set, else the first Chromium-like executable on PATH."""
    named = os.environ.get("RACCORDO_CHROMIUM")
    if named:
        return Path(named) if os.access(named, os.X_OK) else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return Path(found)
    return None
