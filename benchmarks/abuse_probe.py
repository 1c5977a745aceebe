"""Abuse probe (not a test): can one client stall search? Figures for docs/security.md.

    python benchmarks/abuse_probe.py [--repo DIR] [--attackers 40] [--seconds 20]
                                     [--env RACCORDO_RATE_LIMIT_API=0 ...]

Runs `raccordo serve` from `--repo` (default: this checkout; pass an exported older commit
to measure "before") over the demo corpus in a temporary data dir, then:
1. baseline: 30 normal searches, one after the other;
2. attack: `--attackers` clients from 127.0.0.1 (in a separate process, as from another
   machine) each send 2,000-character queries in a closed loop for `--seconds`, while one
   normal client (its own read key, as a separate user would have) searches ordinary
   questions every `--pause` seconds.
Prints p50/p95/max of the normal searches (a request that takes longer than 60 s counts as
60 s and as a timeout) and what the attackers got (200/429/503/timeouts).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from load_api import FALLBACK_QUERIES, machine, wait_ready  # noqa: E402

LONG_QUERY = " ".join(["xqz"] * 500)  # 2,000 characters
NORMAL_TIMEOUT_S = 60.0


def run_cli(repo: Path, env: dict[str, str], *args: str) -> str:
    """`raccordo <args>` from `repo`; its stdout."""
    code = "from bot.cli import main; main()"
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=repo, env=env, check=True,
                          capture_output=True, text=True)
    return done.stdout


def start_server(repo: Path, env: dict[str, str], data: Path, port: int
                 ) -> subprocess.Popen[bytes]:
    """`raccordo serve` (one model thread, as shipped) in a child process."""
    code = "from bot.cli import main; main()"
    return subprocess.Popen([sys.executable, "-c", code, "--data-dir", str(data), "serve",
                             "--host", "127.0.0.1", "--port", str(port), "--threads", "1"],
                            cwd=repo, env=env)


async def normal_searches(http: httpx.AsyncClient, key: str, stop: float,
                          pause_s: float) -> list[tuple[float, int | str]]:
    """Sequential ordinary searches until `stop`: (latency ms, status or error)."""
    out: list[tuple[float, int | str]] = []
    queries = itertools.cycle(FALLBACK_QUERIES)
    while time.monotonic() < stop:
        start = time.perf_counter()
        try:
            response = await http.get("/api/search", params={"q": next(queries)},
                                      headers={"Authorization": f"Bearer {key}"},
                                      timeout=NORMAL_TIMEOUT_S)
            status: int | str = response.status_code
        except httpx.TimeoutException:
            status = "timeout"
        out.append(((time.perf_counter() - start) * 1000, status))
        await asyncio.sleep(pause_s)
    return out


async def attacker(http: httpx.AsyncClient, stop: float, tally: dict[str, int]) -> None:
    """2,000-character queries in a closed loop until `stop`."""
    while time.monotonic() < stop:
        try:
            response = await http.get("/api/search", params={"q": LONG_QUERY}, timeout=60)
            kind = str(response.status_code)
        except httpx.HTTPError as exc:
            kind = type(exc).__name__
            await asyncio.sleep(0.1)
        tally[kind] = tally.get(kind, 0) + 1


async def attack(base: str, attackers: int, seconds: float) -> dict[str, int]:
    """`attackers` closed-loop clients for `seconds`; what they got."""
    tally: dict[str, int] = {}
    limits = httpx.Limits(max_connections=attackers + 5)
    async with httpx.AsyncClient(base_url=base, limits=limits) as http:
        stop = time.monotonic() + seconds
        await asyncio.gather(*(attacker(http, stop, tally) for _ in range(attackers)))
    return tally


def attack_process(base: str, attackers: int, seconds: float,
                   out: multiprocessing.Queue[dict[str, int]]) -> None:
    """The attack in its own process, as from another machine (its client CPU is not ours)."""
    out.put(asyncio.run(attack(base, attackers, seconds)))


async def probe(base: str, key: str, attackers: int, seconds: float, pause_s: float) -> None:
    """Baseline, then the attack; print the figures."""
    async with httpx.AsyncClient(base_url=base) as http:
        baseline = await normal_searches(http, key, time.monotonic() + 10, pause_s)
        report("baseline (no attack)", baseline)
        spawn = multiprocessing.get_context("spawn")  # a fresh interpreter, no running loop
        results: multiprocessing.Queue[dict[str, int]] = spawn.Queue()
        process = spawn.Process(target=attack_process, args=(base, attackers, seconds, results))
        process.start()
        await asyncio.sleep(1.0)  # let the attack fill the queues first
        during = await normal_searches(http, key, time.monotonic() + seconds - 1.0, pause_s)
        tally = results.get(timeout=NORMAL_TIMEOUT_S + 60)
        process.join(30)
        report(f"during attack ({attackers} clients x 2,000 chars, {seconds:.0f} s)", during)
        print(f"  attackers' answers: {dict(sorted(tally.items()))}")


def report(name: str, rows: list[tuple[float, int | str]]) -> None:
    """p50/p95/max of normal searches, counting a timeout as its full wait."""
    lat = np.array([ms for ms, _ in rows]) if rows else np.array([0.0])
    statuses: dict[str, int] = {}
    for _, status in rows:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    print(f"{name}: n={len(rows)} p50={np.percentile(lat, 50):.0f} ms "
          f"p95={np.percentile(lat, 95):.0f} ms max={lat.max():.0f} ms statuses={statuses}")


def main() -> None:
    """Parse arguments, prepare data, serve, probe, stop."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repo", type=Path, default=HERE.parent)
    parser.add_argument("--attackers", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--pause", type=float, default=1.0,
                        help="seconds between two normal searches (one user)")
    parser.add_argument("--env", action="append", default=[], help="KEY=VALUE for the server")
    args = parser.parse_args()
    repo = args.repo.resolve()
    env = {**os.environ, "PYTHONPATH": str(repo), "RACCORDO_LLM_BASE_URL": "",
           "RACCORDO_CACHE_DIR": os.environ.get(
               "RACCORDO_CACHE_DIR", str(Path.home() / ".cache" / "raccordo"))}
    env.update(dict(item.split("=", 1) for item in args.env))
    data = Path(tempfile.mkdtemp(prefix="raccordo-abuse-"))
    run_cli(repo, env, "--data-dir", str(data), "ingest", str(repo / "corpus"))
    key = run_cli(repo, env, "--data-dir", str(data), "apikey", "create", "--role",
                  "read").strip().splitlines()[-1]
    from bot.api.background import free_port

    port = free_port()
    server = start_server(repo, env, data, port)
    try:
        ready = wait_ready(f"http://127.0.0.1:{port}")
        load = os.getloadavg()
        print(f"# abuse probe {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, repo {repo}")
        print(f"machine: {machine()}; load before: {load[0]:.1f} (not quiet if > 0.5)")
        print(f"server env: {' '.join(args.env) or '(defaults)'}; index: {ready.get('chunks')} "
              "chunks")
        asyncio.run(probe(f"http://127.0.0.1:{port}", key, args.attackers, args.seconds,
                          args.pause))
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:  # an old server stuck behind its queue
            server.kill()
            server.wait(30)


if __name__ == "__main__":
    main()
