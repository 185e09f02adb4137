"""`python -m bench.finding [--quick]`: search and export figures on PostgreSQL (D7, D8).

1. creates a fresh database, migrates it and seeds bench.seed's data set (one account
   with 20,000 dossiers, one with 1,000, 200 with 50; names with accents, one "Zoë Brontë"
   per account);
2. starts the real server (1 worker) and measures the search page one request at a time,
   p50 of 200 requests for the 1,000- and the 20,000-dossier account, alternating, with a rare term
   ("bronte": one dossier), a common surname ("jansen": about 1 in 105), a very common
   fragment ("van": about 1 in 12) and a two-letter term ("an"): the ratio 20k / 1k must
   stay flat (<= 1.2);
3. prints PostgreSQL's plan (EXPLAIN ANALYZE) of the search statements at 20,000 dossiers,
   and each statement's median execution time at both sizes;
4. builds the account archive of both accounts in this process, as the worker would, under
   tracemalloc, and prints the peak of Python memory, the time and the file size;
5. drops the database.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timezone

import httpx

from bench.load import Figures
from bench.queries import LOG_IN
from bench.run import _machine
from bench.seed import PASSWORD, Scale, seed
from bench.servers import api_command, create_database, drop_database, free_port, migrate, running, server_env

SEARCH_PAGE = """query SearchPage($search: String!) { dossiers(first: 20, search: $search) {
  pageInfo { hasNextPage endCursor } edges { cursor node { id clientName reference archived } } } }"""
TERMS = ("bronte", "jansen", "van", "an")


async def _vacuum(database_url: str) -> None:
    """What autovacuum does to a live database: the trigram index's statistics (a GIN
    index built on an empty table knows nothing of its entries until VACUUM)."""
    import asyncpg

    conn = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute("VACUUM ANALYZE dossier")
    finally:
        await conn.close()


async def _log_in(base: str, email: str) -> str:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        response = await client.post("/graphql", json={"query": LOG_IN, "variables": {"email": email,
                                                                                       "password": PASSWORD}})
        return response.json()["data"]["logIn"]["accessToken"]


async def search_figures(api: str, accounts: list[tuple[str, dict]], requests: int) -> list[tuple[str, str, Figures, int]]:
    """Per term, requests for the two accounts alternate, so that what else the machine
    does weighs on both sizes alike (two shared cores: load drifts within seconds)."""
    tokens = [await _log_in(api, owner["email"]) for _, owner in accounts]
    results = []
    async with httpx.AsyncClient(base_url=api, timeout=30) as client:
        async def send(term: str, token: str) -> tuple[float, dict]:
            started = time.perf_counter()
            response = await client.post("/graphql", json={"query": SEARCH_PAGE, "variables": {"search": term}},
                                         headers={"authorization": f"Bearer {token}"})
            elapsed = time.perf_counter() - started
            return elapsed, response.json() if response.status_code == 200 else {"errors": [response.status_code]}

        for term in TERMS:
            figures = [Figures(f"search {term!r}, {label}") for label, _ in accounts]
            shown = [len((await send(term, token))[1]["data"]["dossiers"]["edges"]) for token in tokens]
            for n in range(requests):
                order = range(len(tokens)) if n % 2 == 0 else reversed(range(len(tokens)))
                for index in order:
                    elapsed, body = await send(term, tokens[index])
                    figures[index].latencies.append(elapsed)
                    figures[index].errors += 1 if body.get("errors") else 0
            for (label, _), figure, count in zip(accounts, figures, shown):
                figure.seconds = sum(figure.latencies)
                results.append((label, term, figure, count))
    return results


async def _plans(database_url: str, owners: list[tuple[str, dict]]) -> tuple[list[str], list[str]]:
    """EXPLAIN ANALYZE of the `dossiers(search:)` statement as each owner sends it: the
    plans at the largest account, and the median execution time of 9 runs per account."""
    import statistics

    from domain.core.actor import Actor, ActorKind, Role
    from infra.db import close_db, execute, init_db
    from infra.settings import load_settings
    from domain.dossiers import access
    from domain.dossiers.finding import search_term
    from tortoise import connections

    settings = load_settings({"DATABASE_URL": database_url, "JWT_SECRET": "x" * 40}, env_file=None)
    await init_db(settings)

    class Captured(Exception):
        pass

    captured: list[tuple[str, list]] = []

    async def capture(conn, sql, params=(), **_):  # noqa: ANN001
        captured.append((sql, list(params)))
        raise Captured

    plans, timings = [], []
    original = access.fetch_rows
    try:
        for label, owner in owners:
            actor = Actor(owner["user_id"], owner["email"], ActorKind.PAID, owner["account_id"], Role.OWNER,
                          owner["membership_id"])
            for term in TERMS:
                captured.clear()
                access.fetch_rows = capture
                try:
                    await access.visible_dossiers(actor, include_archived=False, first=20, after=None,
                                                  finding=access.Finding(search=search_term(term)),
                                                  now=datetime.now(timezone.utc))
                except Captured:
                    pass
                finally:
                    access.fetch_rows = original
                sql, params = captured[0]
                conn = connections.get("default")
                runs = []
                for _ in range(9):
                    _, rows = await execute(conn, "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params)
                    lines = [row["QUERY PLAN"] for row in rows]
                    runs.append(float(lines[-1].split(":")[1].split()[0]))
                timings.append(f"statement {term!r}, {label}: {statistics.median(runs):.2f} ms (median of 9)")
                if owner is owners[-1][1]:
                    plans.append(f"-- search {term!r}, {label}\n" + "\n".join(lines))
    finally:
        access.fetch_rows = original
        await close_db()
    return plans, timings


async def archive_figures(database_url: str, owners: list[tuple[str, dict]]) -> list[str]:
    """Build each account's archive here, as the worker does, with tracemalloc on."""
    from infra.clock import utc_now
    from infra.db import close_db, init_db
    from infra.settings import load_settings
    from domain.exports.builder import build
    from domain.exports.models import Export

    directory = tempfile.mkdtemp(prefix="casebook-exports-")
    settings = load_settings({"DATABASE_URL": database_url, "JWT_SECRET": "x" * 40},
                             env_file=None).replace(export_dir=directory)
    await init_db(settings)
    lines = []
    try:
        for label, owner in owners:
            export = await Export.create(account_id=owner["account_id"], kind="ACCOUNT", format="ZIP", status="PENDING",
                                         requested_by_user_id=owner["user_id"], requested_by_email=owner["email"],
                                         includes_shares=True, includes_access_log=True, dossier_id_limit=2 ** 62,
                                         download_key=os.urandom(16).hex(), created_at=utc_now(),
                                         requested_at=utc_now())
            tracemalloc.start()
            started = time.perf_counter()
            try:
                await build(settings, export.id)
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
            seconds = time.perf_counter() - started
            done = await Export.get(id=export.id)
            lines.append(f"account archive, {label}: {done.dossier_count:,} dossiers, {done.size_bytes / 2**20:.1f} MiB "
                         f"ZIP, {seconds:.1f} s (with tracemalloc), peak Python memory {peak / 2**20:.1f} MiB")
            os.unlink(os.path.join(directory, done.file_name))
    finally:
        await close_db()
        os.rmdir(directory)
    return lines


async def main(args: argparse.Namespace) -> int:
    scale = Scale.quick() if args.quick else Scale()
    started = time.perf_counter()
    print(f"machine: {_machine()}")
    database = await create_database("casebook_bench_finding")
    print(f"database: {database.rsplit('/', 1)[1]} (fresh)")
    try:
        env = server_env(database)
        migrate(env)
        data = await seed(database, scale, log=print)
        await _vacuum(database)
        accounts = [(f"{len(data.mid['dossier_ids']):,} dossiers", data.mid),
                    (f"{len(data.big['dossier_ids']):,} dossiers", data.big)]
        port = free_port()
        api = f"http://127.0.0.1:{port}"
        with running(api_command(port, 1), env, api):
            results = await search_figures(api, accounts, 50 if args.quick else args.requests)
        plans, timings = await _plans(database, accounts)
        archives = await archive_figures(database, accounts)
    finally:
        if not args.keep:
            await drop_database(database)
    print()
    print(f"{'search page, one request at a time':<44} {'found':>5} {'requests':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")
    for label, term, figures, shown in results:
        print(f"{figures.name:<44} {shown:>5} {figures.requests:>8} {figures.p50:>8.1f} {figures.p99:>8.1f} "
              f"{figures.errors:>6}")
    print()
    failed = sum(figures.errors for _, _, figures, _ in results)
    flat = True
    for term in TERMS:
        small, large = [figures for _, t, figures, _ in results if t == term]
        ratio = large.p50 / small.p50
        flat = flat and ratio <= 1.2
        print(f"search {term!r} p50: {accounts[0][0]} {small.p50:.1f} ms, {accounts[1][0]} {large.p50:.1f} ms "
              f"(x{ratio:.2f})")
    print()
    for plan in plans:
        print(plan)
        print()
    for line in timings:
        print(line)
    print()
    for line in archives:
        print(line)
    print(f"total {time.perf_counter() - started:.0f}s")
    return 0 if not failed else 1


def cli(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.finding", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small data set (1,000 and 100 dossiers)")
    parser.add_argument("--requests", type=int, default=200, help="per search scenario")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    return asyncio.run(main(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(cli())
