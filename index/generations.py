"""Index generations: write to `gen-<n>.tmp/`, fsync, rename, then switch `CURRENT` atomically."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from index.errors import IndexCorrupt, IndexMissing, ModelMismatch

CURRENT = "CURRENT"
MANIFEST = "manifest.json"
KEEP_PREVIOUS = 2
FORMAT = 1
_GEN = re.compile(r"^gen-(\d+)$")


@dataclass(frozen=True)
class Manifest:
    """What a generation holds and how to check it."""

    generation: int
    store_version: int
    model_id: str
    dim: int
    chunks: int
    dense_kind: str
    created_at: float = field(default_factory=time.time)
    files: dict[str, str] = field(default_factory=dict)  # relative path → sha256
    format: int = FORMAT

    def to_json(self) -> dict[str, object]:
        """JSON form written to manifest.json."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Manifest:
        """Parse manifest.json content (unknown keys are ignored)."""
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)  # type: ignore[arg-type]


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_SHA_BY_VERSION: dict[tuple[str, int, int, int], str] = {}


def content_sha256(path: Path) -> str:
    """`file_sha256` of a file that is replaced, never edited in place (model weights):
    remembered for the process by path, inode, size and modification time, so the several
    engines of one service hash a 72 MB weight file once."""
    st = path.stat()
    key = (str(path.resolve()), st.st_ino, st.st_size, st.st_mtime_ns)
    if key not in _SHA_BY_VERSION:
        _SHA_BY_VERSION[key] = file_sha256(path)
    return _SHA_BY_VERSION[key]


def fsync_path(path: Path) -> None:
    """fsync a file or a directory."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def generation_dir(index_dir: Path, n: int) -> Path:
    """The directory of generation n."""
    return index_dir / f"gen-{n}"


def current_pointer(index_dir: Path) -> str | None:
    """The content of CURRENT (e.g. 'gen-7'), or None when nothing is published."""
    try:
        return (index_dir / CURRENT).read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def current_generation(index_dir: Path) -> int | None:
    """The number of the published generation, or None."""
    pointer = current_pointer(index_dir)
    match = _GEN.match(pointer or "")
    return int(match.group(1)) if match else None


def read_manifest(gen_dir: Path, *, verify: bool = True) -> Manifest:
    """The manifest of a generation, its files' checksums verified."""
    try:
        manifest = Manifest.from_json(json.loads((gen_dir / MANIFEST).read_text("utf-8")))
    except (OSError, ValueError, TypeError) as exc:
        raise IndexCorrupt(f"Manifest dell'indice illeggibile in {gen_dir}: {exc}") from exc
    if verify:
        for rel, expected in manifest.files.items():
            path = gen_dir / rel
            if not path.is_file() or file_sha256(path) != expected:
                raise IndexCorrupt(
                    f"Indice danneggiato: {rel} non corrisponde al manifest ({gen_dir}). "
                    "Ricostruiscilo con `raccordo ingest --rebuild <cartella>`.")
    return manifest


def current_manifest(index_dir: Path, *, verify: bool = False) -> Manifest | None:
    """The manifest of the published generation, or None (unreadable counts as none)."""
    n = current_generation(index_dir)
    if n is None:
        return None
    try:
        return read_manifest(generation_dir(index_dir, n), verify=verify)
    except IndexCorrupt:
        return None


def open_current(index_dir: Path, model_id: str) -> tuple[Path, Manifest]:
    """The published generation's directory and verified manifest, for this model."""
    n = current_generation(index_dir)
    if n is None:
        raise IndexMissing()
    gen_dir = generation_dir(index_dir, n)
    manifest = read_manifest(gen_dir)
    if manifest.model_id != model_id:
        raise ModelMismatch(manifest.model_id, model_id)
    return gen_dir, manifest


@contextlib.contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """One build at a time per index directory, across processes (flock)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with (index_dir / "build.lock").open("a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _numbers(index_dir: Path) -> list[int]:
    found = []
    for entry in index_dir.iterdir():
        match = re.match(r"^gen-(\d+)(?:\.tmp)?$", entry.name)
        if match:
            found.append(int(match.group(1)))
    return sorted(found)


def publish(index_dir: Path, write: Callable[[Path, int], Manifest]) -> Manifest:
    """Write a new generation with `write(tmp_dir, n)`, make it durable, point CURRENT to it.

    Call it under `build_lock`. A crash at any point leaves the previous generation published.
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    n = max([0, *_numbers(index_dir)]) + 1
    tmp = index_dir / f"gen-{n}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    manifest = write(tmp, n)
    files = {str(p.relative_to(tmp)): file_sha256(p)
             for p in sorted(tmp.rglob("*")) if p.is_file()}
    manifest = Manifest(**{**asdict(manifest), "generation": n, "files": files})
    _write_durably(tmp / MANIFEST, json.dumps(manifest.to_json(), indent=2))
    for path in sorted(tmp.rglob("*"), reverse=True):
        fsync_path(path)
    fsync_path(tmp)
    final = generation_dir(index_dir, n)
    os.rename(tmp, final)
    fsync_path(index_dir)
    _write_durably(index_dir / f"{CURRENT}.tmp", f"gen-{n}\n")
    os.replace(index_dir / f"{CURRENT}.tmp", index_dir / CURRENT)
    fsync_path(index_dir)
    prune(index_dir)
    return manifest


def _write_durably(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def prune(index_dir: Path, keep_previous: int = KEEP_PREVIOUS) -> list[str]:
    """Delete stale *.tmp dirs, unpublished newer generations and all but 2 older ones."""
    current = current_generation(index_dir)
    removed: list[str] = []
    for entry in sorted(index_dir.iterdir()):
        match = _GEN.match(entry.name)
        stale_tmp = entry.name.endswith(".tmp") and entry.name.startswith("gen-")
        number = int(match.group(1)) if match else None
        old = number is not None and current is not None and (
            number < current - keep_previous or number > current)
        if (stale_tmp or old) and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry.name)
    return removed
