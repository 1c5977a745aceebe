"""Parse a file in a forked child with a time limit and an address-space limit.

The child sends back plain JSON (blocks, pages, title), never pickles. A crash, a memory
blow-up or a hang in a parser ends as an `IngestError` with an Italian reason. Each page read
by OCR is sent as soon as it is read (`{"page": i, "text": …}`), before the final message, so
that the caller keeps the pages of a scan that runs out of time (`on_page`).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import multiprocessing
import os
import resource
import signal
import time
from collections.abc import Mapping
from typing import Any

from ingest.errors import IngestError, NeedsOCR
from ingest.models import Block
from ingest.ocr import OCR_LANGUAGES, PageSink
from ingest.readers import Parsed, read_bytes

PR_SET_PDEATHSIG = 1  # prctl option (linux/prctl.h)


def to_json(parsed: Parsed) -> dict[str, Any]:
    """Plain-data form of a Parsed (what crosses the pipe)."""
    return {"ok": True, "pages": parsed.pages, "title": parsed.title, "props": parsed.props,
            "blocks": [[b.text, b.page, b.heading_level] for b in parsed.blocks],
            "ocr_pages": list(parsed.ocr_pages)}


def from_json(payload: dict[str, Any]) -> Parsed:
    """Rebuild a Parsed, or raise the error the child reported."""
    if not payload.get("ok"):
        error = NeedsOCR if payload.get("ocr") else IngestError
        raise error(str(payload.get("reason") or "file illeggibile"))
    blocks = tuple(Block(str(t), page=p, heading_level=h) for t, p, h in payload["blocks"])
    props = {str(k): str(v) for k, v in (payload.get("props") or {}).items()}
    return Parsed(blocks=blocks, pages=payload.get("pages"), title=payload.get("title"),
                  props=props, ocr_pages=tuple(int(p) for p in payload.get("ocr_pages") or ()))


def _vm_bytes() -> int:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def _die_with_parent(parent: int) -> None:
    """SIGKILL this child when its parent dies (Linux): a parent killed with -9 must not
    leave it parsing, holding the parent's inherited sockets (a worker's database session
    and the job lock on it)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the request was in place
        os._exit(1)


def _child(data: bytes, fmt: str, conn: Any, memory_bytes: int, ocr: str | None,
           receiver: Any = None, parent: int = 0,
           ocr_known: Mapping[int, str] | None = None) -> None:
    if receiver is not None:  # the read end stays with the parent only: a write to a pipe
        receiver.close()      # whose reader died fails instead of blocking forever
    _die_with_parent(parent)
    try:
        # the limit is on top of what the forked parent already maps; Tesseract, started
        # from here, inherits it (and one OpenMP thread: the machine is shared)
        os.setpgid(0, 0)  # its own process group: a timeout ends Tesseract too
        limit = _vm_bytes() + memory_bytes
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        os.environ["OMP_THREAD_LIMIT"] = "1"
        payload = to_json(read_bytes(data, fmt, ocr=ocr, ocr_known=ocr_known,
                                     on_page=lambda i, text: _send(conn, {"page": i,
                                                                          "text": text})))
    except NeedsOCR as exc:
        payload = {"ok": False, "ocr": True, "reason": str(exc)}
    except IngestError as exc:
        payload = {"ok": False, "reason": str(exc)}
    except MemoryError:
        payload = {"ok": False, "reason": "file troppo pesante: limite di memoria superato"}
    except RecursionError:
        payload = {"ok": False, "reason": "struttura del file troppo annidata"}
    except Exception as exc:  # a parser bug must end as a skipped file, not a crash
        payload = {"ok": False, "reason": f"file illeggibile ({type(exc).__name__})"}
    try:
        conn.send_bytes(json.dumps(payload).encode("utf-8"))
    except MemoryError:
        conn.send_bytes(b'{"ok": false, "reason": "file troppo pesante: limite di memoria"}')
    finally:
        conn.close()


def _send(conn: Any, message: Mapping[str, object]) -> None:
    conn.send_bytes(json.dumps(message).encode("utf-8"))


def _kill_group(pid: int | None) -> None:
    """Kill the child's process group (the child and any Tesseract it started)."""
    if pid is None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _start_without_parent_garbage(proc: Any) -> None:
    """Fork with every object of this process frozen: the child's garbage collector then
    never finalises one (an ONNX Runtime session left in a cycle waits, when finalised, for
    threads the child does not have, and the child hung until its time limit)."""
    gc.freeze()
    try:
        proc.start()
    finally:
        gc.unfreeze()


def parse_isolated(data: bytes, fmt: str, *, timeout_s: float = 120,
                   memory_mb: int = 1024, ocr: str | None = OCR_LANGUAGES,
                   ocr_known: Mapping[int, str] | None = None,
                   on_page: PageSink | None = None) -> Parsed:
    """Run the reader for `fmt` in a forked child; raise IngestError on any failure.

    Scanned PDF pages are read by Tesseract in the `ocr` languages inside the same child and
    limits (None: no OCR), except the pages `ocr_known` already holds (`ingest.ocrcache`);
    `on_page` is told each page read, as it arrives, also when the parse then fails.
    """
    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child,
                       args=(data, fmt, sender, memory_mb * 1024 * 1024, ocr, receiver,
                             os.getpid(), ocr_known), daemon=True)
    _start_without_parent_garbage(proc)
    sender.close()
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            if not receiver.poll(max(0.0, deadline - time.monotonic())):
                raise IngestError(f"tempo scaduto: analisi oltre {timeout_s:g} s")
            message = json.loads(receiver.recv_bytes().decode("utf-8"))
            if "page" not in message:
                break
            if on_page is not None:
                on_page(int(message["page"]), str(message["text"]))
    except EOFError as exc:
        raise IngestError("analisi interrotta (limite di memoria superato o crash)") from exc
    finally:
        receiver.close()
        if proc.is_alive():
            _kill_group(proc.pid)
            proc.kill()
        proc.join(5)
    return from_json(message)
