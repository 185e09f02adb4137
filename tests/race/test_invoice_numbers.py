"""Gapless invoice numbers under concurrent charges (SPEC B3): the real server with 4
worker processes on PostgreSQL; 50 sign-ups at once (each charges its first period),
then 50 tier upgrades at once (each charges a proration). Every charge gets exactly one
invoice, and the numbers are 1…100 of the year: none skipped, none twice."""
from __future__ import annotations

import asyncio

import httpx
import pytest

from bench import race
from bench.servers import api_command, connect, create_database, drop_database, free_port, migrate, running, server_env

pytestmark = pytest.mark.postgres_only

CHARGES = 50
QUOTE = """mutation { quoteSubscriptionChange(input: {activeClientTier: UP_TO_25}) { quote { id } userErrors { code } } }"""
APPLY = """mutation($q: ID!, $k: String!) { applySubscriptionChange(input: {quoteId: $q, idempotencyKey: $k}) {
  charged { amount } userErrors { code } } }"""


@pytest.fixture(scope="module")
def server():
    database = asyncio.run(create_database("casebook_invoice_race"))
    try:
        env = server_env(database, EXECUTION_TIMEOUT_SECONDS="60")
        migrate(env)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with running(api_command(port, 4), env, base):
            yield base, database
    finally:
        asyncio.run(drop_database(database))


async def _sequences(db) -> list[int]:
    rows = await db.fetch("SELECT year, sequence, number FROM invoice ORDER BY year, sequence")
    assert all(row["number"] == f"CB-{row['year']}-{row['sequence']:06d}" for row in rows)
    assert len({row["year"] for row in rows}) == 1
    return [row["sequence"] for row in rows]


async def test_b3_concurrent_charges_on_four_workers_get_consecutive_numbers(server):
    base, database = server
    limits = httpx.Limits(max_connections=CHARGES, max_keepalive_connections=CHARGES)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as http:
        api = race.Client(http)
        db = await connect(database)
        try:
            owners = await asyncio.gather(*[api.sign_up(f"b3-{n}") for n in range(CHARGES)])
            assert await _sequences(db) == list(range(1, CHARGES + 1))

            quotes = [(await api.gql(QUOTE, token=owner["token"]))["data"]["quoteSubscriptionChange"]["quote"]["id"]
                      for owner in owners]
            applied = await asyncio.gather(*[api.gql(APPLY, {"q": quote, "k": f"b3-{n}"}, owner["token"])
                                             for n, (owner, quote) in enumerate(zip(owners, quotes))])
            assert [body["data"]["applySubscriptionChange"]["userErrors"] for body in applied] == [[]] * CHARGES
            assert await _sequences(db) == list(range(1, 2 * CHARGES + 1))
            # One invoice per charge, its lines the charge's ledger lines.
            unmatched = await db.fetchval(
                "SELECT COUNT(*) FROM ledger_line l WHERE NOT EXISTS "
                "(SELECT 1 FROM invoice_line i WHERE i.ledger_line_id = l.id)")
            lines = await db.fetchval("SELECT COUNT(*) FROM invoice_line")
            assert (unmatched, lines) == (0, 2 * CHARGES)
        finally:
            await db.close()
