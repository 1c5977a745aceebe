"""Resolving a chunk's references to the chunks they cite (shared by both stores)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ingest.models import Reference
from ingest.storetypes import ResolvedReference, StoredChunk

Target = tuple[int | None, int | None, bool | None]  # chunk id, document id, vigente
NOT_FOUND: Target = (None, None, None)
REF_COLUMNS = ("chunk_id, text, act, article, comma, letter, same_act, start_offset,"
               " end_offset")


def resolve_all(chunk_ids: Sequence[int], found: Mapping[int, StoredChunk],
                lookup: Callable[[Reference, int], Target]) -> dict[int, list[ResolvedReference]]:
    """Each found chunk's references with their targets (one lookup per distinct target)."""
    cache: dict[tuple[object, ...], Target] = {}
    out: dict[int, list[ResolvedReference]] = {}
    for cid in chunk_ids:
        stored = found.get(int(cid))
        if stored is None:
            continue
        own = stored.document.id
        resolved = []
        for ref in stored.chunk.references:
            key = (own if ref.same_act else ref.act, ref.article, ref.comma, ref.letter)
            if key not in cache:
                cache[key] = lookup(ref, own)
            resolved.append(ResolvedReference(ref, *cache[key]))
        out[int(cid)] = resolved
    return out


def best_target(ref: Reference, rows: Sequence[Any]) -> Target:
    """The row (id, doc_id, commi, letters, vigente) holding the cited comma and letter, else
    the first one."""
    if not rows:
        return NOT_FOUND
    ranked = sorted(rows, key=lambda r: (
        -(ref.comma is not None and ref.comma in json.loads(r[2])),
        -(ref.letter is not None and ref.letter in json.loads(r[3]))))
    best = ranked[0]
    return int(best[0]), int(best[1]), bool(best[4])


def group_references(rows: Iterable[Any]) -> dict[int, tuple[Reference, ...]]:
    """Reference rows (REF_COLUMNS, ordered by chunk and position) grouped by chunk id."""
    out: dict[int, list[Reference]] = {}
    for r in rows:
        out.setdefault(int(r[0]), []).append(
            Reference(str(r[1]), r[2], r[3], r[4], r[5], bool(r[6]), int(r[7]), int(r[8])))
    return {k: tuple(v) for k, v in out.items()}
