"""`python -m bench.scale [--factor 10]`: does a request cost more when the data grows?

Seeds today's data set and `--factor` times it (about 310,000 dossiers and 2 million
entries at 10), each in a fresh database with its own server (one worker), and measures
one request at a time (p50 of `--requests`) for the dossier page, one dossier, a search
and addEntry at both sizes, in `--rounds` slices alternating between them, then each
search term alone; then prints the ratio of each p50 at the larger size to today's (the
target: within 1.2), each term's, and the plan
PostgreSQL chose for every SELECT the page and the search send, with what it read
(EXPLAIN ANALYZE, BUFFERS), at the larger size.

One request at a time measures latency, so run it on a quiet machine."""
from __future__ import annotations

import argparse
import asyncio
import logging
import random
import sys
import time

import httpx

from bench.load import Figures, measure
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


def _term_senders(tokens: dict[str, str]) -> dict[str, object]:
    """One search sender per term: the search's p50 pools five terms that scale apart."""
    big = {"authorization": f"Bearer {tokens['big']}"}

    def searching(term: str):  # noqa: ANN202 - a sender
        async def search(client: httpx.AsyncClient, _: int) -> bool:
            response = await client.post("/graphql", json={"query": SEARCH, "variables": {"search": term}},
                                         headers=big)
            return graphql_ok(response)
        return search

    return {term: searching(term) for term in SEARCH_TERMS}


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


async def _seeded(database: str, scale: Scale, factor: int) -> tuple[dict[str, str], Seeded]:
    env = server_env(database)
    migrate(env)
    print(f"x{factor}:")
    return env, await seed(database, scale.times(factor), log=print)


async def main(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    factors = (1, args.factor)
    databases: list[str] = []
    try:
        sizes = []
        for factor in factors:
            databases.append(await create_database("casebook_scale"))  # dropped below, whatever happens
            env, data = await _seeded(databases[-1], Scale(), factor)
            sizes.append((factor, env, data))
        ports = [free_port() for _ in factors]
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        with running(api_command(ports[0], 1), sizes[0][1], bases[0]) as small_server, \
                running(api_command(ports[1], 1), sizes[1][1], bases[1]) as large_server:
            servers = (small_server, large_server)
            tokens, senders = [], []
            for base, (_, _, data) in zip(bases, sizes):
                signed_in = {name: await log_in(base, owner["email"])
                             for name, owner in (("big", data.big), ("mid", data.mid), ("small", data.small[0]))}
                tokens.append(signed_in)
                senders.append(_senders(data, signed_in))
            # The sizes alternate, in `--rounds` slices per operation: measured one after
            # the other, minutes apart, the host's drift went into the ratio (the server's
            # own CPU per request moved with it, which the data's size cannot do).
            parts: dict[tuple[str, int], list] = {}
            for _ in range(args.rounds):
                for name in OPERATIONS:
                    for index, factor in enumerate(factors):
                        figures = await measure(f"{name} x{factor}", bases[index], senders[index][name],
                                                concurrency=1, seconds=300, warmup=0.5,
                                                limit=max(1, args.requests // args.rounds),
                                                cpu_of=servers[index].pid)
                        if figures.errors:
                            raise RuntimeError(f"{name} at x{factor}: {figures.errors} failed requests")
                        parts.setdefault((name, factor), []).append(figures)
            terms = [_term_senders(signed_in) for signed_in in tokens]
            for _ in range(args.rounds):
                for term in SEARCH_TERMS:
                    for index, factor in enumerate(factors):
                        figures = await measure(f"search {term!r} x{factor}", bases[index], terms[index][term],
                                                concurrency=1, seconds=300, warmup=0.2,
                                                limit=max(1, args.requests // 5 // args.rounds))
                        parts.setdefault((f"search {term!r}", factor), []).append(figures)
        pooled = {key: Figures.pooled(f"{key[0]} x{key[1]}", value) for key, value in parts.items()}
        plans = await _plans(databases[1], sizes[1][1], tokens[1]["big"])
    finally:
        for database in databases:
            try:
                await drop_database(database)
            except Exception as error:  # noqa: BLE001 - drop the others, say which one stays
                print(f"could not drop {database}: {error}", file=sys.stderr)
    print(f"\none request at a time, p50 (ms) and server CPU per request, today's data and x{args.factor}, "
          f"{args.rounds} alternating slices each:")
    worst = 0.0
    for name in OPERATIONS:
        small, large = pooled[(name, 1)], pooled[(name, args.factor)]
        ratio = large.p50 / small.p50
        worst = max(worst, ratio)
        print(f"  {name:<14} {small.p50:7.1f} {large.p50:7.1f}   x{ratio:.2f}   "
              f"(CPU {small.cpu_ms:.2f} / {large.cpu_ms:.2f} ms)")
    print(f"largest ratio x{worst:.2f} (target: within x1.20)")
    print("the search, each term alone (p50, ms):")
    for term in SEARCH_TERMS:
        small, large = pooled[(f"search {term!r}", 1)], pooled[(f"search {term!r}", args.factor)]
        print(f"  {term!r:<14} {small.p50:7.1f} {large.p50:7.1f}   x{large.p50 / small.p50:.2f}")
    print(f"\nplans at x{args.factor} (the page, then a rare-name search):")
    for plan in plans:
        print(plan)
    print(f"total {time.perf_counter() - started:.0f}s")
    return 0


def cli(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--factor", type=int, default=10, help="times today's data (default 10)")
    parser.add_argument("--requests", type=int, default=300, help="measured one at a time per operation and size")
    parser.add_argument("--rounds", type=int, default=3, help="alternating slices of each operation at both sizes")
    return asyncio.run(main(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(cli())
