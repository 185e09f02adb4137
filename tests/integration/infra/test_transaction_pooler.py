"""The suite's PgBouncer pass (.ci/run, DATABASE_POOLER=transaction) really
goes through transaction pooling — the failure the issue reports happens there with
asyncpg's defaults — and the app's pool settings are what make it work."""
from __future__ import annotations

import asyncio
import os

import asyncpg
import pytest
from tortoise import connections

from infra.db import TRANSACTION_POOLER_OPTIONS, transaction

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(os.environ.get("DATABASE_POOLER") != "transaction",
                       reason="runs in the PgBouncer pass of .ci/run (DATABASE_POOLER=transaction)"),
]


async def _two_clients(database_url: str, **options) -> list:
    """Client A prepares a statement while client B holds a server connection in a
    transaction, so A's statement lands on another one; B commits, and A's next use of the
    statement gets B's server connection back from the pooler, which never saw it."""
    url = database_url.replace("postgres://", "postgresql://", 1)
    a = await asyncpg.connect(url, **options)
    b = await asyncpg.connect(url, **options)
    try:
        await b.execute("BEGIN")
        first = await a.fetchval("SELECT $1::int + 1", 1)
        await b.execute("COMMIT")
        return [first, await a.fetchval("SELECT $1::int + 1", 2), await b.fetchval("SELECT $1::int + 1", 3)]
    finally:
        await a.close()
        await b.close()


async def test_asyncpgs_named_statements_break_behind_this_pooler(database_url):
    with pytest.raises((asyncpg.exceptions.DuplicatePreparedStatementError,
                        asyncpg.exceptions.InvalidSQLStatementNameError)):
        await _two_clients(database_url)


async def test_without_the_statement_cache_the_same_clients_work(database_url):
    assert await _two_clients(database_url, **TRANSACTION_POOLER_OPTIONS) == [2, 3, 4]


async def test_the_apps_pool_survives_many_clients_sharing_few_server_connections(db):
    """Fifty concurrent transactions with parameters through the app's own pool (the
    setting under test), then the same statements again on whatever connection comes."""
    async def one(n: int) -> int:
        async with transaction() as conn:
            _, rows = await conn.execute_query("SELECT $1::int * 2 AS doubled, pg_backend_pid() AS pid", [n])
            return rows[0]["doubled"]

    for _ in range(2):
        assert await asyncio.gather(*[one(n) for n in range(50)]) == [2 * n for n in range(50)]
    _, rows = await connections.get("default").execute_query("SELECT $1::text AS said", ["still fine"])
    assert rows[0]["said"] == "still fine"
