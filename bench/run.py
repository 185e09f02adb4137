"""`python -m bench.run [--quick]` (or `make bench`): load figures on PostgreSQL.

1. creates a fresh database on BENCH_POSTGRES_URL / DATABASE_URL's server (default
   postgres://postgres@127.0.0.1:5432), runs `casebook migrate`, seeds it (bench.seed);
2. starts the real server — `casebook serve --workers N`, CASEBOOK_ENV=production, a
   random secret — and the plain Starlette baseline (bench.plain_app) with N workers;
3. measures requests/s, p50 and p99 of: the dossier page (GraphQL and plain, same JSON),
   one dossier with its entries, addEntry, shareDossier; then the dossier page's p50 one
   request at a time for an account with 1,000 and one with 20,000 dossiers;
4. prints a table and the GraphQL / plain ratio, and drops the database.

Load comes from this process (httpx), on the same machine: on few cores the generator
competes with the server for CPU, so figures are lower bounds; compare ratios."""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid

import httpx

from bench.load import Figures, measure
from bench.queries import ADD_ENTRY, GRAPHQL_PAGE, LOG_IN, ONE_DOSSIER, SEARCH, SEARCH_TERMS, SHARE
from bench.seed import PASSWORD, Scale, Seeded, seed
from bench.servers import (
    api_command, create_database, drop_database, free_port, migrate, plain_command, running, server_env,
)
from schema.relay import to_global_id

def graphql_ok(response: httpx.Response, payload: str | None = None) -> bool:
    if response.status_code != 200:
        return False
    body = response.json()
    if body.get("errors"):
        return False
    return payload is None or body["data"][payload]["userErrors"] == []


async def log_in(base: str, email: str) -> str:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        response = await client.post("/graphql", json={"query": LOG_IN, "variables": {"email": email, "password": PASSWORD}})
        return response.json()["data"]["logIn"]["accessToken"]


def _machine() -> str:
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), cpu)
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}"


async def scenarios(api: str, standard: str, plain: str, data: Seeded, *, servers: dict[str, int],
                    database: str, env: dict[str, str], concurrency: int, seconds: float, warmup: float,
                    sequential: int, runs: int) -> tuple[list[Figures], dict]:
    big_token, mid_token = await log_in(api, data.big["email"]), await log_in(api, data.mid["email"])
    small = data.small[: min(20, len(data.small))]
    small_tokens = [await log_in(api, owner["email"]) for owner in small]
    big_auth = {"authorization": f"Bearer {big_token}"}
    rng = random.Random(7)
    checks: dict = {}

    async with httpx.AsyncClient(timeout=30) as client:
        graphql = (await client.post(api + "/graphql", json={"query": GRAPHQL_PAGE}, headers=big_auth)).json()
        baseline = (await client.post(plain + "/plain/dossiers", headers=big_auth)).json()
        shaped = (await client.post(plain + "/plain/dossiers/shaped", headers=big_auth)).json()
    checks["same_json"] = graphql.get("data") == baseline.get("data") and not graphql.get("errors")
    checks["same_json_shaped"] = shaped.get("data") == baseline.get("data")
    checks["cost_of_page"] = (graphql.get("extensions") or {}).get("cost")

    async def page(client: httpx.AsyncClient, _: int, token: str = big_token) -> bool:
        response = await client.post("/graphql", json={"query": GRAPHQL_PAGE},
                                     headers={"authorization": f"Bearer {token}"})
        return graphql_ok(response)

    async def plain_page(client: httpx.AsyncClient, _: int) -> bool:
        response = await client.get("/plain/dossiers", headers=big_auth)
        return response.status_code == 200 and "data" in response.json()

    mid_ids = data.mid["dossier_ids"]
    mid_auth = {"authorization": f"Bearer {mid_token}"}

    # Each hot operation twice: through the API, and by hand (bench/plain_ops.py).
    def one_dossier(path: str | None):
        async def send(client: httpx.AsyncClient, _: int) -> bool:
            dossier = to_global_id("Dossier", rng.choice(mid_ids))
            if path:
                response = await client.post(path, json={"id": dossier}, headers=mid_auth)
                return response.status_code == 200 and (response.json().get("data") or {}).get("dossier") is not None
            response = await client.post("/graphql", json={"query": ONE_DOSSIER, "variables": {"id": dossier}},
                                         headers=mid_auth)
            return graphql_ok(response) and response.json()["data"]["dossier"] is not None
        return send

    def add_entry(path: str | None):
        async def send(client: httpx.AsyncClient, n: int) -> bool:
            index = rng.randrange(len(small))
            dossier = to_global_id("Dossier", rng.choice(small[index]["dossier_ids"]))
            variables = {"input": {"dossierId": dossier, "kind": "NOTE",
                                   "body": f"Bench note {n}: weight stable, plan kept."}}
            response = await client.post(path or "/graphql", headers={"authorization": f"Bearer {small_tokens[index]}"},
                                         json={"query": ADD_ENTRY, "variables": variables, **variables})
            return graphql_ok(response, "addEntry")
        return send

    def share(path: str | None):
        async def send(client: httpx.AsyncClient, n: int) -> bool:
            index = rng.randrange(len(small))
            dossier = to_global_id("Dossier", rng.choice(small[index]["dossier_ids"]))
            variables = {"input": {"dossierId": dossier, "access": "VIEWER",
                                   "email": f"g{n}-{uuid.uuid4().hex[:8]}@guests.example.org"}}
            response = await client.post(path or "/graphql", headers={"authorization": f"Bearer {small_tokens[index]}"},
                                         json={"query": SHARE, "variables": variables, **variables})
            return graphql_ok(response, "shareDossier")
        return send

    def search(path: str | None, token: str = big_token):
        async def send(client: httpx.AsyncClient, n: int) -> bool:
            term = SEARCH_TERMS[n % len(SEARCH_TERMS)]
            response = await client.post(path or "/graphql", headers={"authorization": f"Bearer {token}"},
                                         json={"query": SEARCH, "variables": {"search": term}, "search": term})
            return graphql_ok(response)
        return send

    def log_in_as(path: str | None):
        async def send(client: httpx.AsyncClient, n: int) -> bool:
            owner = small[n % len(small)]
            response = await client.post(path or "/graphql", json={
                "query": LOG_IN, "variables": {"email": owner["email"], "password": PASSWORD}})
            return graphql_ok(response, "logIn")
        return send

    load = {"concurrency": concurrency, "seconds": seconds, "warmup": warmup}
    async def shaped_page(client: httpx.AsyncClient, _: int) -> bool:
        response = await client.get("/plain/dossiers/shaped", headers=big_auth)
        return response.status_code == 200 and "data" in response.json()

    results = []
    shaped_runs = []
    for run in range(1, runs + 1):
        label = f" (run {run})" if runs > 1 else ""
        results += [
            await measure(f"dossier page, GraphQL{label}", api, page, **load, cpu_of=servers["api"],
                          database_cpu=True),
            await measure(f"dossier page, plain Starlette + asyncpg{label}", plain, plain_page, **load,
                          cpu_of=servers["plain"], database_cpu=True),
        ]
        # Not a target: what a page shaped by PostgreSQL would cost (bench/plain_app.py
        # SHAPED_SQL), right after the plain page it is compared with.
        shaped_runs.append(await measure(f"dossier page, shaped by PostgreSQL{label}", plain, shaped_page, **load,
                                         cpu_of=servers["plain"], database_cpu=True))
    results.append(await measure("dossier page, GraphQL, standard executor", standard, page, **load,
                                 cpu_of=servers["standard"]))
    results += shaped_runs
    # Sign-in is argon2 at production cost on both sides: fewer clients, so it measures
    # the service around the hash rather than a queue of hashes.
    sign_in = {**load, "concurrency": min(concurrency, 4)}
    for name, make, options in (("one dossier with its entries", one_dossier, load), ("addEntry", add_entry, load),
                                ("shareDossier", share, load), ("search", search, load),
                                ("sign-in", log_in_as, sign_in)):
        path = {"one dossier with its entries": "/plain/dossier", "addEntry": "/plain/entries",
                "shareDossier": "/plain/shares", "search": "/plain/search", "sign-in": "/plain/log-in"}[name]
        # In `runs` slices alternating with the baseline's, pooled: this host's speed drifts
        # by a third within minutes, and one slice each put a drift into the ratio.
        sliced = {**options, "seconds": options["seconds"] / runs}
        ours, floor = [], []
        for _ in range(runs):
            ours.append(await measure(name, api, make(None), **sliced, cpu_of=servers["api"]))
            floor.append(await measure(f"{name}, plain", plain, make(path), **sliced, cpu_of=servers["plain"]))
        checks.setdefault("slice_ratios", {})[name] = [round(o.rps / f.rps, 2) if f.rps else None
                                                       for o, f in zip(ours, floor)]
        results.append(Figures.pooled(name, ours))
        results.append(Figures.pooled(f"{name}, plain", floor))
    one_at_a_time = {"concurrency": 1, "seconds": 120, "warmup": 0.5, "limit": sequential}
    for name, token, count in (("mid", mid_token, len(data.mid["dossier_ids"])),
                               ("big", big_token, len(data.big["dossier_ids"]))):
        results.append(await measure(f"dossier page, one at a time, {count:,} dossiers", api,
                                     lambda c, n, t=token: page(c, n, t), **one_at_a_time, cpu_of=servers["api"]))
    for name, send in (("one dossier", one_dossier(None)), ("search", search(None)), ("addEntry", add_entry(None))):
        results.append(await measure(f"{name}, one at a time", api, send, **one_at_a_time, cpu_of=servers["api"]))
    checks["statements_per_page"] = await statements_per_page(database, env, big_token)
    return results, checks


async def statements_per_page(database: str, env: dict[str, str], token: str) -> int:
    """The SQL statements one dossier page sends, counted in this process through the
    same app (tortoise logs every statement it sends)."""
    import httpx

    from api.app import create_app
    from infra.db import close_db, init_db
    from infra.settings import load_settings
    from tests.support.statements import counting_statements

    settings = load_settings(env, env_file=None)
    await init_db(settings, db_url=database)
    try:
        app = create_app(settings, manage_db=False)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
            await client.post("/graphql", json={"query": GRAPHQL_PAGE}, headers={"authorization": f"Bearer {token}"})
            with counting_statements() as sql:
                await client.post("/graphql", json={"query": GRAPHQL_PAGE},
                                  headers={"authorization": f"Bearer {token}"})
        return len(sql)
    finally:
        await close_db()


def table(results: list[Figures]) -> str:
    lines = [f"{'scenario':<52} {'conc':>4} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
             f"{'CPU ms/req':>10} {'errors':>6}", "-" * 111]
    for r in results:
        lines.append(f"{r.name:<52} {r.concurrency:>4} {r.requests:>8} {r.rps:>8.1f} {r.p50:>8.1f} {r.p99:>8.1f} "
                     f"{r.cpu_ms:>10.2f} {r.errors:>6}")
    return "\n".join(lines)


async def main(args: argparse.Namespace) -> int:
    scale = (Scale.quick() if args.quick else Scale()).times(args.scale)
    seconds = args.seconds or (3.0 if args.quick else 10.0)
    started = time.perf_counter()
    print(f"machine: {_machine()}")
    print(f"workers: {args.workers}, load: {args.concurrency} concurrent clients x {seconds:.0f}s per scenario")
    database = await create_database()
    print(f"database: {database.rsplit('/', 1)[1]} (fresh)")
    try:
        env = server_env(database)
        migrate(env)
        data = await seed(database, scale, log=print)
        api_port, standard_port, plain_port = free_port(), free_port(), free_port()
        api, plain = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{plain_port}"
        standard = f"http://127.0.0.1:{standard_port}"
        server_log = os.path.join(tempfile.gettempdir(), f"casebook-bench-server-{api_port}.log")
        with running(api_command(api_port, args.workers), env, api, log_path=server_log) as api_server, \
                running(api_command(standard_port, args.workers), {**env, "GRAPHQL_EXECUTOR": "standard"},
                        standard) as standard_server, \
                running(plain_command(plain_port, args.workers), env, plain) as plain_server:
            servers = {"api": api_server.pid, "standard": standard_server.pid, "plain": plain_server.pid}
            results, checks = await scenarios(api, standard, plain, data, servers=servers, database=database,
                                              env=env, concurrency=args.concurrency, seconds=seconds,
                                              warmup=1.0 if args.quick else 2.0,
                                              sequential=50 if args.quick else 200, runs=args.runs)
    finally:
        if not args.keep:
            await drop_database(database)
    print()
    print(table(results))
    pages = [(results[2 * n], results[2 * n + 1]) for n in range(args.runs)]
    stock = next(r for r in results if r.name.endswith("standard executor"))
    by_name = {r.name: r for r in results}
    mid, big = results[-5], results[-4]
    print()
    print(f"same JSON from GraphQL and plain: {'yes' if checks['same_json'] else 'NO'}; "
          f"query cost of the page: {checks['cost_of_page']}; SQL statements per page: "
          f"{checks['statements_per_page']}")
    ratios = []
    for number, (graphql, baseline) in enumerate(pages, 1):
        ratios.append(graphql.rps / baseline.rps)
        print(f"run {number}: GraphQL / plain, dossier page: req/s {graphql.rps:.1f} / {baseline.rps:.1f} = "
              f"{ratios[-1]:.2f}; server CPU per page {graphql.cpu_ms:.2f} ms / {baseline.cpu_ms:.2f} ms "
              f"(= {baseline.cpu_ms / graphql.cpu_ms:.2f}); p50 {graphql.p50:.1f} / {baseline.p50:.1f} ms; "
              f"PostgreSQL's CPU per page {graphql.database_cpu_ms:.2f} / {baseline.database_cpu_ms:.2f} ms")
    print(f"median ratio of {len(ratios)} run(s): {statistics.median(ratios):.2f}; server CPU per page, median: "
          f"{statistics.median(g.cpu_ms for g, _ in pages):.2f} ms (plain "
          f"{statistics.median(b.cpu_ms for _, b in pages):.2f} ms)")
    print(f"the same page through the standard executor: {stock.rps:.1f} req/s, {stock.cpu_ms:.2f} ms server CPU "
          f"per page (compiled: {statistics.median(g.cpu_ms for g, _ in pages):.2f} ms)")
    shaped = [r for r in results if r.name.startswith("dossier page, shaped by PostgreSQL")]
    print(f"the page shaped by PostgreSQL (one statement builds the JSON; same JSON: "
          f"{'yes' if checks['same_json_shaped'] else 'NO'}), each run right after the plain page:")
    for number, ((_, baseline), alone) in enumerate(zip(pages, shaped), 1):
        print(f"  run {number}: req/s {alone.rps:.1f} (x{alone.rps / baseline.rps:.2f} plain); CPU per page, server "
              f"{alone.cpu_ms:.2f} ms + PostgreSQL {alone.database_cpu_ms:.2f} ms (plain {baseline.cpu_ms:.2f} + "
              f"{baseline.database_cpu_ms:.2f} ms)")
    print(f"  median: x{statistics.median(a.rps / b.rps for (_, b), a in zip(pages, shaped)):.2f} plain by req/s")
    print(f"dossier page p50 one at a time: {len(data.mid['dossier_ids']):,} dossiers {mid.p50:.1f} ms, "
          f"{len(data.big['dossier_ids']):,} dossiers {big.p50:.1f} ms (x{big.p50 / mid.p50:.2f})")
    for name in ("one dossier with its entries", "addEntry", "shareDossier", "search", "sign-in"):
        ours, floor = by_name[name], by_name[f"{name}, plain"]
        slices = ", ".join(f"{ratio:.2f}" for ratio in checks["slice_ratios"][name] if ratio is not None)
        print(f"{name}: GraphQL / plain req/s {ours.rps:.1f} / {floor.rps:.1f} = {ours.rps / floor.rps:.2f} "
              f"(slices {slices}); server CPU {ours.cpu_ms:.2f} / {floor.cpu_ms:.2f} ms "
              f"(= {floor.cpu_ms / ours.cpu_ms:.2f})")
    print("one at a time, p50: " + "; ".join(f"{r.name.split(',')[0]} {r.p50:.1f} ms" for r in results[-3:])
          + f" (scale x{args.scale})")
    print(f"total {time.perf_counter() - started:.0f}s; server log: {server_log}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"machine": _machine(), "workers": args.workers, "checks": checks, "seeded": data.counts,
                       "results": [{"name": r.name, "concurrency": r.concurrency, "requests": r.requests,
                                    "rps": r.rps, "p50_ms": r.p50, "p99_ms": r.p99, "cpu_ms": r.cpu_ms,
                                    "database_cpu_ms": r.database_cpu_ms,
                                    "errors": r.errors} for r in results]}, out, indent=2)
    failed = sum(r.errors for r in results)
    return 0 if checks["same_json"] and checks["same_json_shaped"] and not failed else 1


def cli(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small data set, 3 s per scenario (a smoke run)")
    parser.add_argument("--workers", type=int, default=min(4, os.cpu_count() or 1))
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=0.0, help="per scenario (default 10, quick 3)")
    parser.add_argument("--scale", type=int, default=1, help="times the data (10: about 310,000 dossiers and "
                                                                  "2 million entries)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--runs", type=int, default=3,
                        help="times the GraphQL and plain page are measured, alternating (the ratio's median is "
                             "printed); each other operation is measured in as many alternating slices")
    return asyncio.run(main(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(cli())
