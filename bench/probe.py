"""The stall probe against a real server (SPEC O3): a slow request must not hold up the others.

`python -m bench.probe [--workers 2] [--rounds 5] [--budget-ms 50]`: a fresh PostgreSQL
database, `casebook serve --workers N` in production mode, then fragment fan-outs (10
spreads of the next fragment, 7, 8 and 12 levels deep) over POST and GET with no token,
one at a time and in bursts, while `/healthz` is polled throughout. Passes when every
fan-out is refused with QUERY_TOO_COMPLEX within the budget and `/healthz` kept
answering within it. (Before the fix a 7-level fan-out held a worker 24-46 s.)"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from dataclasses import dataclass, field

import httpx

LEVELS = (7, 8, 12)
METHODS = ("POST", "GET")


def fan_out(levels: int, *, width: int = 10, on: str = "Query", root: str | None = None,
            leaf: str = "__typename") -> str:
    """`query { ...F0 }`, each fragment spreading the next `width` times, `levels` deep:
    width^levels paths in a few hundred bytes."""
    head = f"query {{ {root} {{ ...F0 }} }}" if root else "query { ...F0 }"
    parts = [head]
    for level in range(levels):
        parts.append(f"fragment F{level} on {on} {{ " + " ".join([f"...F{level + 1}"] * width) + " }")
    parts.append(f"fragment F{levels} on {on} {{ {leaf} }}")
    return "\n".join(parts)


@dataclass
class Report:
    probes: dict[str, list[float]] = field(default_factory=dict)
    refused: dict[str, bool] = field(default_factory=dict)
    healthz: list[float] = field(default_factory=list)
    healthz_failures: int = 0

    def worst(self) -> float:
        return max(max(times) for times in self.probes.values())

    def lines(self) -> list[str]:
        rows = [f"{'probe':<14} {'n':>3} {'median ms':>10} {'max ms':>8} refused"]
        for name, times in self.probes.items():
            rows.append(f"{name:<14} {len(times):>3} {statistics.median(times) * 1000:>10.1f} "
                        f"{max(times) * 1000:>8.1f} {'yes' if self.refused[name] else 'NO'}")
        if self.healthz:
            rows.append(f"{'/healthz':<14} {len(self.healthz):>3} {statistics.median(self.healthz) * 1000:>10.1f} "
                        f"{max(self.healthz) * 1000:>8.1f} failures {self.healthz_failures}")
        return rows


async def _send(client: httpx.AsyncClient, method: str, query: str) -> tuple[float, bool]:
    started = time.perf_counter()
    if method == "GET":
        response = await client.get("/graphql", params={"query": query})
    else:
        response = await client.post("/graphql", json={"query": query})
    seconds = time.perf_counter() - started
    try:
        codes = [(e.get("extensions") or {}).get("code") for e in response.json().get("errors") or []]
    except ValueError:
        codes = []
    return seconds, "QUERY_TOO_COMPLEX" in codes


async def _poll_healthz(client: httpx.AsyncClient, report: Report, stop: asyncio.Event) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        try:
            ok = (await client.get("/healthz")).status_code == 200
        except httpx.HTTPError:
            ok = False
        report.healthz.append(time.perf_counter() - started)
        report.healthz_failures += 0 if ok else 1
        await asyncio.sleep(0.01)


async def probe(base_url: str, *, rounds: int) -> Report:
    report = Report()
    queries = {level: fan_out(level) for level in LEVELS}
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client, \
            httpx.AsyncClient(base_url=base_url, timeout=60) as health:
        for method in METHODS:  # warm-up: connections, first-request imports
            await _send(client, method, queries[7])
        stop = asyncio.Event()
        poller = asyncio.create_task(_poll_healthz(health, report, stop))
        try:
            for _ in range(rounds):
                for level in LEVELS:
                    for method in METHODS:
                        seconds, refused = await _send(client, method, queries[level])
                        name = f"{level} levels {method}"
                        report.probes.setdefault(name, []).append(seconds)
                        report.refused[name] = report.refused.get(name, True) and refused
                burst = [_send(client, method, queries[level]) for level in LEVELS for method in METHODS] * 2
                for seconds, refused in await asyncio.gather(*burst):
                    report.probes.setdefault("burst of 12", []).append(seconds)
                    report.refused["burst of 12"] = report.refused.get("burst of 12", True) and refused
        finally:
            stop.set()
            await poller
    return report


async def run(*, workers: int, rounds: int) -> Report:
    from bench.servers import api_command, create_database, drop_database, free_port, migrate, running, server_env

    database = await create_database("casebook_probe")
    try:
        env = server_env(database)
        migrate(env)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with running(api_command(port, workers), env, base):
            return await probe(base, rounds=rounds)
    finally:
        await drop_database(database)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.probe", description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--budget-ms", type=float, default=50.0)
    args = parser.parse_args(argv)
    report = asyncio.run(run(workers=args.workers, rounds=args.rounds))
    print("\n".join(report.lines()))
    budget = args.budget_ms / 1000
    ok = (all(report.refused.values()) and report.worst() <= budget and report.healthz_failures == 0
          and max(report.healthz, default=0) <= budget)
    print(f"worst fan-out {report.worst() * 1000:.1f} ms, worst /healthz {max(report.healthz, default=0) * 1000:.1f} ms; "
          f"budget {args.budget_ms:.0f} ms: {'pass' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
