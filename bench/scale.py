"""`python -m bench.scale [--factor 10]`: does a request cost more when the data grows?

Seeds today's data set and `--factor` times it (about 310,000 dossiers and 2 million
entries at 10), each in a fresh database, and on each measures one request at a time
(p50 of `--requests`) for the dossier page, one dossier, a search and addEntry through the
real server; then prints the ratio of each p50 at the larger size to today's (the target:
within 1.2) and the plan PostgreSQL chose for every SELECT the page and the search send,
with what it read (EXPLAIN ANALYZE, BUFFERS), at the larger size.

One request at a time measures latency, so run it on a quiet machine."""
from __future__ import annotations

import argparse
import asyncio
import logging
import random
import sys
import time

import httpx

from bench.load import measure
from bench.queries import ADD_ENTRY, GRAPHQL_PAGE, ONE_DOSSIER, SEARCH, SEARCH_TERMS
from bench.run import graphql_ok, log_in
from bench.seed import Scale, Seeded, seed
from bench.servers import api_command, connect, create_database, drop_database, free_port, migrate, running, server_env
from schema.relay import to_global_id

OPERATIONS = ("dossier page", "one dossier", "search", "addEntry")


def _senders(data: Seeded, tokens: dict[str, str]) -> dict[str, object]:
    rng = random.Random(11)
    big = {"authorization": f"Bearer {tokens['big']}"}
    mid = {"authorization": f"Bearer {tokens['mid']}"}
    small = {"authorization": f"Bearer {tokens['small']}"}

    async def page(client: httpx.AsyncClient, _: int) -> bool:
        return graphql_ok(await client.post("/graphql", json={"query": GRAPHQL_PAGE}, headers=big))

    async def one_dossier(client: httpx.AsyncClient, _: int) -> bool:
        variables = {"id": to_global_id("Dossier", rng.choice(data.mid["dossier_ids"]))}
        response = await client.post("/graphql", json={"query": ONE_DOSSIER, "variables": variables}, headers=mid)
        return graphql_ok(response) and response.json()["data"]["dossier"] is not None

    async def search(client: httpx.AsyncClient, n: int) -> bool:
        variables = {"search": SEARCH_TERMS[n % len(SEARCH_TERMS)]}
        return graphql_ok(await client.post("/graphql", json={"query": SEARCH, "variables": variables}, headers=big))

    async def add_entry(client: httpx.AsyncClient, n: int) -> bool:
        variables = {"input": {"dossierId": to_global_id("Dossier", rng.choice(data.small[0]["dossier_ids"])),
                               "kind": "NOTE", "body": f"Scale note {n}: plan kept."}}
        response = await client.post("/graphql", json={"query": ADD_ENTRY, "variables": variables}, headers=small)
        return graphql_ok(response, "addEntry")

    return dict(zip(OPERATIONS, (page, one_dossier, search, add_entry)))


class _Statements(logging.Handler):
    """Every SELECT the app sends, with its values (tortoise logs both at DEBUG)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.sent: list[tuple[str, list]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if len(record.args or ()) == 2 and str(record.args[0]).lstrip().upper().startswith(("SELECT", "WITH")):
            self.sent.append((str(record.args[0]), list(record.args[1] or [])))


async def _plans(database: str, env: dict[str, str], token: str) -> list[str]:
    """The page's and a rare-name search's SELECTs, sent through the same app in this
    process, then explained with their own values on a plain connection."""
    from api.app import create_app
    from infra.db import close_db, init_db
    from infra.settings import load_settings

    await init_db(load_settings(env, env_file=None), db_url=database)
    handler, logger = _Statements(), logging.getLogger("tortoise.db_client")
    try:
        app = create_app(load_settings(env, env_file=None), manage_db=False)
        headers = {"authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
            logger.addHandler(handler)
            logger.setLevel(logging.DEBUG)
            await client.post("/graphql", json={"query": GRAPHQL_PAGE}, headers=headers)
            await client.post("/graphql", json={"query": SEARCH, "variables": {"search": "zoe bronte"}},
                              headers=headers)
    finally:
        logger.removeHandler(handler)
        await close_db()
    conn = await connect(database)
    explained = []
    try:
        for sql, values in handler.sent:
            if "dossier" not in sql and "entry" not in sql:
                continue  # the principal's re-read: by primary key
            rows = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY ON) " + sql, *values)
            explained.append(" ".join(sql.split())[:160] + " …\n" + "\n".join("    " + r[0] for r in rows))
    finally:
        await conn.close()
    return explained


async def _at(scale: Scale, factor: int, requests: int, *, show_plans: bool) -> tuple[dict[str, float], list[str]]:
    database = await create_database("casebook_scale")
    try:
        env = server_env(database)
        migrate(env)
        print(f"x{factor}:")
        data = await seed(database, scale.times(factor), log=print)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with running(api_command(port, 1), env, base) as server:
            tokens = {name: await log_in(base, owner["email"])
                      for name, owner in (("big", data.big), ("mid", data.mid), ("small", data.small[0]))}
            p50 = {}
            for name, send in _senders(data, tokens).items():
                figures = await measure(f"{name} x{factor}", base, send, concurrency=1, seconds=300, warmup=1.0,
                                        limit=requests, cpu_of=server.pid)
                if figures.errors:
                    raise RuntimeError(f"{name} at x{factor}: {figures.errors} failed requests")
                p50[name] = figures.p50
                print(f"  {name}: p50 {figures.p50:.1f} ms, server CPU {figures.cpu_ms:.2f} ms per request")
        plans = await _plans(database, env, tokens["big"]) if show_plans else []
        return p50, plans
    finally:
        await drop_database(database)


async def main(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    base, _ = await _at(Scale(), 1, args.requests, show_plans=False)
    grown, plans = await _at(Scale(), args.factor, args.requests, show_plans=True)
    print(f"\none request at a time, p50 (ms), today's data and x{args.factor}:")
    worst = 0.0
    for name in OPERATIONS:
        ratio = grown[name] / base[name]
        worst = max(worst, ratio)
        print(f"  {name:<14} {base[name]:7.1f} {grown[name]:7.1f}   x{ratio:.2f}")
    print(f"largest ratio x{worst:.2f} (target: within x1.20)")
    print(f"\nplans at x{args.factor} (the page, then a rare-name search):")
    for plan in plans:
        print(plan)
    print(f"total {time.perf_counter() - started:.0f}s")
    return 0


def cli(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--factor", type=int, default=10, help="times today's data (default 10)")
    parser.add_argument("--requests", type=int, default=300, help="measured one at a time per operation")
    return asyncio.run(main(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(cli())
