"""A small async load generator: a fixed number of concurrent clients send requests for a
fixed time; latencies are measured per request, from send to the whole body read."""
from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass, field
from typing import Awaitable, Callable

import httpx

# One request: returns True when the answer is a success.
Send = Callable[[httpx.AsyncClient, int], Awaitable[bool]]


@dataclass
class Figures:
    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    concurrency: int = 1
    # CPU the server spent (all its processes) while these requests were measured.
    cpu_seconds: float = 0.0
    # CPU PostgreSQL spent meanwhile, when asked for (`measure(database_cpu=True)`).
    database_cpu_seconds: float = 0.0

    @classmethod
    def pooled(cls, name: str, parts: list["Figures"]) -> "Figures":
        """Slices of one scenario measured apart (alternating with its baseline's) as one."""
        whole = cls(name, concurrency=parts[0].concurrency)
        for part in parts:
            whole.latencies += part.latencies
            whole.errors += part.errors
            whole.seconds += part.seconds
            whole.cpu_seconds += part.cpu_seconds
            whole.database_cpu_seconds += part.database_cpu_seconds
        return whole

    @property
    def cpu_ms(self) -> float:
        """Server CPU per request: steadier than req/s when the load generator shares the cores."""
        return self.cpu_seconds / self.requests * 1000 if self.requests else float("nan")

    @property
    def database_cpu_ms(self) -> float:
        """PostgreSQL's CPU per request (on this machine): the work a request moved there."""
        return self.database_cpu_seconds / self.requests * 1000 if self.requests else float("nan")

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) * 1000 if self.latencies else float("nan")

    @property
    def p99(self) -> float:
        return self.percentile(99)


async def measure(name: str, base_url: str, send: Send, *, concurrency: int, seconds: float,
                  warmup: float = 1.0, limit: int | None = None, cpu_of: int | None = None,
                  database_cpu: bool = False) -> Figures:
    """Run `send` from `concurrency` clients for `warmup` (not counted) then `seconds`;
    with `limit`, stop after that many measured requests. `cpu_of`: the process group of
    the server, whose CPU time over the measured part is recorded; `database_cpu`: record
    PostgreSQL's too."""
    from bench.servers import database_cpu_seconds, group_cpu_seconds

    figures = Figures(name, concurrency=concurrency)
    counter = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30.0) as client:
        async def worker(deadline: float, record: bool) -> None:
            nonlocal counter
            while time.perf_counter() < deadline and (limit is None or not record or figures.requests < limit):
                counter += 1
                started = time.perf_counter()
                try:
                    ok = await send(client, counter)
                except httpx.HTTPError:
                    ok = False
                if record:
                    figures.latencies.append(time.perf_counter() - started)
                    figures.errors += 0 if ok else 1

        if warmup > 0:
            end = time.perf_counter() + warmup
            await asyncio.gather(*[worker(end, False) for _ in range(concurrency)])
        cpu_before = group_cpu_seconds(cpu_of) if cpu_of else 0.0
        database_before = database_cpu_seconds() if database_cpu else 0.0
        started = time.perf_counter()
        await asyncio.gather(*[worker(started + seconds, True) for _ in range(concurrency)])
        figures.seconds = time.perf_counter() - started
        figures.cpu_seconds = group_cpu_seconds(cpu_of) - cpu_before if cpu_of else 0.0
        figures.database_cpu_seconds = database_cpu_seconds() - database_before if database_cpu else 0.0
    return figures
