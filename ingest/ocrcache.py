"""OCR output kept between runs, so that reading a scanned PDF again does not OCR it again.

OCR is the slow part of ingestion (about 14 s a page on one core, docs/benchmarks-ocr.md),
and a new chunking version, `--rebuild` or a changed manifest parse every file again. The
cache keeps Tesseract's raw output of each page by the PDF's sha256 and the OCR setting
(languages, resolution, Tesseract's version): the same bytes read the same way give the same
text, so a page is read once. One JSON file per PDF, `<sha256>.json`, written atomically.
The cache is derived data: deleting it only costs time, and a file that cannot be read or
written is ignored (the pages are read by OCR, as without a cache).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path

from ingest.ocr import OCR_DPI, engine_version

log = logging.getLogger(__name__)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def ocr_setting(languages: str, dpi: int = OCR_DPI) -> str:
    """What decides a page's OCR text besides its bytes: 'ita@300dpi tesseract 5.3.0'."""
    return f"{languages}@{dpi}dpi {engine_version()}"


class OcrCache:
    """Raw OCR text of PDF pages by (PDF sha256, OCR setting, 0-based page)."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def pages(self, digest: str, setting: str) -> dict[int, str]:
        """The pages of PDF `digest` read before with `setting` (none when unknown)."""
        found = self._read(digest).get(setting)
        if not isinstance(found, dict):
            return {}
        return {int(page): text for page, text in found.items()
                if page.isascii() and page.isdecimal() and isinstance(text, str)}

    def keep(self, digest: str, setting: str, pages: Mapping[int, str]) -> None:
        """Add the pages read now; a cache that cannot be written is skipped (logged)."""
        if not _SHA256.match(digest):
            return
        entry = self._read(digest)
        known = entry.get(setting)
        merged = {**(known if isinstance(known, dict) else {}),
                  **{str(page): text for page, text in pages.items()}}
        if merged == known:
            return
        entry[setting] = merged
        try:
            self._write(digest, entry)
        except OSError as exc:
            log.warning("OCR cache not written (%s): the pages will be read again", exc)

    def _path(self, digest: str) -> Path:
        return self.directory / f"{digest}.json"

    def _read(self, digest: str) -> dict[str, object]:
        if not _SHA256.match(digest):  # a name, never a path
            return {}
        try:
            data = json.loads(self._path(digest).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:  # unreadable or corrupt: as if absent
            log.warning("OCR cache entry ignored (%s)", exc)
            return {}
        return data if isinstance(data, dict) else {}

    def _write(self, digest: str, entry: Mapping[str, object]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(entry, out, ensure_ascii=False)
            os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide it from a service of another user
            os.replace(tmp, self._path(digest))
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
