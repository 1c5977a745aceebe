"""Load benchmark of the HTTP API (not a test): N concurrent clients on /api/search and
/api/ask for D seconds each, against `raccordo serve` (uvicorn) on loopback.

    python benchmarks/load_api.py [--duration 60] [--clients 20] [--data-dir DIR]
                                  [--corpus DIR] [--out docs/benchmarks-api.md]

Without --data-dir the repository's demo corpus (or --corpus) is ingested into a temporary
data dir first. Reports throughput, p50/p95/p99 latency and errors, and writes them as
Markdown with the machine and the date.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.api.background import free_port  # noqa: E402

FALLBACK_QUERIES = [
    "centrale unica di committenza per le gare dei comuni",
    "art. 1 comma 44 legge 56/2014 funzioni della città metropolitana",
    "sportello unico attività produttive associato",
    "zone omogenee e unioni di comuni",
    "piano strategico metropolitano indicatori",
    "osservatorio dati territoriali",
    "stazione unica appaltante opere PNRR",
    "identità metropolitana comunicazione",
    "ufficio progetti europei e fondi",
    "quali sono i tempi medi di aggiudicazione delle gare?",
]


@dataclass
class Phase:
    """Latencies and errors of one endpoint under load."""

    name: str
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    def row(self) -> dict[str, float | int | str]:
        """The figures of the phase."""
        lat = np.array(self.latencies_ms or [0.0])
        total = len(self.latencies_ms) + sum(self.errors.values())
        return {"endpoint": self.name, "requests": total,
                "throughput_rps": round(total / self.seconds, 1) if self.seconds else 0.0,
                "p50_ms": round(float(np.percentile(lat, 50)), 1),
                "p95_ms": round(float(np.percentile(lat, 95)), 1),
                "p99_ms": round(float(np.percentile(lat, 99)), 1),
                "errors": sum(self.errors.values()),
                "error_kinds": ", ".join(f"{k}×{v}" for k, v in self.errors.items()) or "—"}


def load_queries() -> list[str]:
    """Questions of the shared dev set when present, plus fixed demo queries."""
    shared = Path(os.environ.get("RACCORDO_SHARED_DIR", REPO.parent / "shared"))
    queries = list(FALLBACK_QUERIES)
    dev = shared / "eval" / "dev.jsonl"
    if dev.exists():
        for line in dev.read_text(encoding="utf-8").splitlines():
            if line.strip():
                queries.append(str(json.loads(line)["question"]))
    return queries


def prepare_data(corpus: Path) -> Path:
    """A temporary data dir with `corpus` ingested and indexed."""
    from bot.app.service import Raccordo
    from bot.app.settings import Settings

    data = Path(tempfile.mkdtemp(prefix="raccordo-load-"))
    service = Raccordo(Settings(data_dir=data, llm_base_url=None, telegram_token=None))
    try:
        report = service.ingest(corpus)
        print(f"ingested {report.count('indexed')} files into {data}", file=sys.stderr)
    finally:
        service.close()
    return data


def start_server(data: Path, port: int, threads: int) -> subprocess.Popen[bytes]:
    """`raccordo serve` in a child process (its own interpreter, as in production)."""
    # every client shares one address: the per-client rate limit would answer 429
    env = {**os.environ, "PYTHONPATH": str(REPO), "RACCORDO_LLM_BASE_URL": "",
           "RACCORDO_RATE_LIMIT_API": "0"}
    code = "from bot.cli.main import main; main()"
    return subprocess.Popen([sys.executable, "-c", code, "--data-dir", str(data), "serve",
                             "--host", "127.0.0.1", "--port", str(port),
                             "--threads", str(threads)], env=env)


def wait_ready(base: str, timeout_s: float = 600) -> dict[str, object]:
    """Poll /readyz until 200."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            response = httpx.get(base + "/readyz", timeout=5)
            if response.status_code == 200:
                return dict(response.json())
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit("server not ready in time")


async def run_phase(base: str, name: str, queries: list[str], clients: int,
                    seconds: float, think_s: float = 0.0, unique: bool = False) -> Phase:
    """`clients` closed-loop clients (pausing `think_s` between requests) for `seconds`.

    With `unique`, each request's text gets a running number, so that no query vector comes
    from the server's LRU and every search embeds (micro-batching under load is measured).
    """
    phase = Phase(name)
    numbered = (f"{q} {i}" for i, q in enumerate(itertools.cycle(queries)))
    cycle = numbered if unique else itertools.cycle(queries)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:
        stop = time.monotonic() + seconds

        async def client() -> None:
            while time.monotonic() < stop:
                query = next(cycle)
                start = time.perf_counter()
                try:
                    if name == "search":
                        response = await http.get("/api/search", params={"q": query, "k": 10})
                    else:
                        response = await http.post("/api/ask", json={"question": query})
                except httpx.HTTPError as exc:
                    kind = type(exc).__name__
                    phase.errors[kind] = phase.errors.get(kind, 0) + 1
                    continue
                if response.status_code == 200:
                    phase.latencies_ms.append((time.perf_counter() - start) * 1000)
                else:
                    kind = f"HTTP {response.status_code}"
                    phase.errors[kind] = phase.errors.get(kind, 0) + 1
                if think_s:
                    await asyncio.sleep(think_s)

        began = time.monotonic()
        await asyncio.gather(*(client() for _ in range(clients)))
        phase.seconds = time.monotonic() - began
    return phase


def peak_rss_mb(pid: int) -> float | None:
    """Peak resident memory (VmHWM) of a live process, in MB (Linux), or None."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        return None
    return None


def machine() -> str:
    """CPU model, cores, memory, OS and Python."""
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(int(x.split()[1]) for x in Path("/proc/meminfo").read_text().splitlines()
                      if x.startswith("MemTotal"))
        mem = f"{mem_kb / 1048576:.0f} GB RAM"
    except (OSError, StopIteration, ValueError):
        mem = "? RAM"
    return (f"{cpu}, {os.cpu_count()} cores, {mem}; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}")


def markdown(rows: list[dict[str, Any]], ready: dict[str, object], clients: int,
             seconds: float, queries: int, think_s: str, load: str,
             rss_mb: float | None = None) -> str:
    """The report."""
    lines = [
        "# HTTP API load benchmark", "",
        f"- Date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Machine: {machine()}",
        "- Server: `raccordo serve` (uvicorn, 1 process) on 127.0.0.1; client: httpx async "
        "in another process on the same machine (it shares the 2 cores).",
        f"- Index: {ready.get('documents')} documents, {ready.get('chunks')} chunks, "
        f"generation {ready.get('generation')}, model `{ready.get('model')}`; extractive "
        f"answers (no LLM).",
        f"- Load: {clients} concurrent closed-loop clients (think time per row), "
        f"{seconds:.0f} s per endpoint, {queries} distinct queries in rotation.",
        f"- Machine load average (1 min) before/after: {load}.",
        f"- Server peak RSS (VmHWM, after the runs): "
        f"{'?' if rss_mb is None else f'{rss_mb:.0f} MB'}.",
        "- Command: `python benchmarks/load_api.py "
        f"--clients {clients} --duration {seconds:.0f} --think {think_s}`", "",
        "| endpoint | think (s) | requests | throughput (req/s) | p50 (ms) | p95 (ms) "
        "| p99 (ms) | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(f"| {r['endpoint']} | {r['think_s']:g} | {r['requests']} | "
                     f"{r['throughput_rps']} | "
                     f"{r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | {r['errors']} |")
    if any(r["errors"] for r in rows):
        lines += ["", "Errors: " + "; ".join(f"{r['endpoint']}: {r['error_kinds']}"
                                              for r in rows if r["errors"])]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Parse options, start the server, run the phases, print and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--corpus", type=Path, default=REPO / "corpus")
    parser.add_argument("--endpoints", default="search,ask")
    parser.add_argument("--threads", type=int, default=1, help="raccordo serve --threads")
    parser.add_argument("--think", default="0",
                        help="comma-separated pauses of each client between requests (s); "
                             "one run per value")
    parser.add_argument("--unique", action="store_true",
                        help="a running number in every query: no query-vector cache hits")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "benchmarks-api.md")
    args = parser.parse_args()

    data = args.data_dir or prepare_data(args.corpus)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(data, port, args.threads)
    try:
        ready = wait_ready(base)
        queries = load_queries()
        asyncio.run(run_phase(base, "search", queries, 2, 3))  # warm-up
        load_before = os.getloadavg()[0]
        rows = []
        thinks = [float(t) for t in args.think.split(",")]
        for think in thinks:
            for name in args.endpoints.split(","):
                phase = asyncio.run(run_phase(base, name, queries, args.clients,
                                              args.duration, think, args.unique))
                rows.append({**phase.row(), "think_s": think})
                print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
        rss_mb = peak_rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    load = f"{load_before:.1f} / {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    report = markdown(rows, ready, args.clients, args.duration, len(queries),
                      f"{args.think} --threads {args.threads}"
                      + (" --unique" if args.unique else ""), load, rss_mb)
    print(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
