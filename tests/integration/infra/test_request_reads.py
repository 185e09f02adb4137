"""A request's statements outside transactions share one pool connection on PostgreSQL
(infra.db.request_reads): one statement at a time on it, never held while the request
waits for a transaction's connection, always given back — also when a statement fails
or the request is cancelled — and unchanged on SQLite."""
from __future__ import annotations

import asyncio

import pytest
import pytest_asyncio
from tortoise import connections
from tortoise.exceptions import IntegrityError, OperationalError

from infra.db import close_db, execute, fetch_rows, init_db, request_reads, returning, transaction
from tests.conftest import ON_POSTGRES
from tests.support.statements import counting_statements

PID = "SELECT pg_backend_pid() AS pid"
# Long enough to be cancelled mid-flight; named so that no other test's statement is counted for it.
SLOW = "SELECT 'request reads' AS marker, pg_sleep(30)::text AS slept"


@pytest_asyncio.fixture
async def one_connection(db, database_url, settings):
    """The smallest pool the settings allow: one connection. Holding it while waiting for
    another would wait forever."""
    await close_db()
    await init_db(settings.replace(database_pool_size=1), db_url=database_url)
    client = connections.get("default")
    await client.execute_query("SELECT 1")  # the pool exists, as after the app's start
    return client


def _all_back(client) -> bool:
    pool = client._pool
    return pool.get_idle_size() == pool.get_size()


async def test_statements_inside_run_and_are_logged_on_either_database(db):
    client = connections.get("default")
    with counting_statements() as sql:
        async with request_reads():
            rows = await fetch_rows(client, "SELECT $1 AS said", ["hello"])
            _, plain = await execute(client, "SELECT $1 AS said", ["again"])
            await execute(client, 'INSERT INTO "rate_limit" ("key", "window_start", "count") VALUES ($1, 1, 1)', ["k"])
            written = await returning(client, 'UPDATE "rate_limit" SET "count" = 2 WHERE "key" = $1 RETURNING "count"',
                                      ["k"])
    assert (rows[0].said, plain[0]["said"], written) == ("hello", "again", [{"count": 2}])
    assert len(sql) == 4


@pytest.mark.postgres_only
async def test_concurrent_reads_of_one_request_take_turns_on_one_connection(db, monkeypatch):
    client = connections.get("default")
    await client.execute_query("SELECT 1")
    taken = []
    acquire = type(client._pool).acquire

    def counted(pool, *args, **kwargs):
        taken.append(1)
        return acquire(pool, *args, **kwargs)

    monkeypatch.setattr(type(client._pool), "acquire", counted)
    async with request_reads():
        # asyncpg refuses a second statement while one runs on a connection: these pass only in turn
        answers = await asyncio.gather(*[
            fetch_rows(client, "SELECT pg_backend_pid() AS pid, pg_sleep(0.02)::text AS slept") for _ in range(6)])
    assert len({rows[0].pid for rows in answers}) == 1
    assert len(taken) == 1
    assert _all_back(client)


@pytest.mark.postgres_only
async def test_a_request_gives_its_read_connection_back_before_a_transaction_takes_one(one_connection):
    client = one_connection

    async def read() -> int:
        return (await fetch_rows(client, PID))[0].pid

    async def write() -> None:
        async with transaction() as conn:
            await execute(conn, 'INSERT INTO "rate_limit" ("key", "window_start", "count") VALUES ($1, 1, 1)',
                          [f"k{id(conn)}"])

    async with asyncio.timeout(10):  # holding the only connection while waiting for it would hang here
        async with request_reads():
            await read()
            await write()
            await read()
            # siblings: reads running while transactions wait for the connection
            await asyncio.gather(read(), write(), read(), write(), read())
            await read()
    assert _all_back(client)


@pytest.mark.postgres_only
async def test_the_connection_goes_back_after_success_error_and_cancellation(one_connection):
    client = one_connection
    async with request_reads():
        await fetch_rows(client, PID)
    assert _all_back(client)

    with pytest.raises(RuntimeError):
        async with request_reads():
            await fetch_rows(client, PID)
            raise RuntimeError("a resolver failed")
    assert _all_back(client)

    async def slow_request() -> None:
        async with request_reads():
            await fetch_rows(client, PID)
            await fetch_rows(client, SLOW)

    task = asyncio.ensure_future(slow_request())
    await asyncio.sleep(0.3)
    task.cancel()  # the request's deadline
    with pytest.raises(asyncio.CancelledError):
        await task
    async with asyncio.timeout(5):
        _, running = await client.execute_query(
            "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE query = $1 AND state = 'active' "
            "AND datname = current_database()", [SLOW])
    assert running[0]["n"] == 0
    assert _all_back(client)


@pytest.mark.postgres_only
async def test_a_task_outliving_its_request_takes_a_connection_of_its_own(one_connection):
    client = one_connection
    go = asyncio.Event()

    async def later() -> int:
        await go.wait()
        return (await fetch_rows(client, PID))[0].pid

    async with request_reads():
        await fetch_rows(client, PID)
        spawned = asyncio.ensure_future(later())  # copies the request's context
    assert _all_back(client)
    go.set()
    async with asyncio.timeout(5):
        assert await spawned
    assert _all_back(client)


@pytest.mark.postgres_only
async def test_a_failed_or_cancelled_statement_leaves_the_request_able_to_read(one_connection):
    client = one_connection
    async with asyncio.timeout(10):
        async with request_reads():
            with pytest.raises(OperationalError):  # mapped as tortoise maps it
                await fetch_rows(client, "SELECT 1/0 AS nothing")
            with pytest.raises(OperationalError):
                await execute(client, "SELEKT 1")
            await execute(client, 'INSERT INTO "rate_limit" ("key", "window_start", "count") VALUES ($1, 1, 1)', ["k"])
            with pytest.raises(IntegrityError):
                await execute(client, 'INSERT INTO "rate_limit" ("key", "window_start", "count") VALUES ($1, 1, 1)',
                              ["k"])
            assert (await fetch_rows(client, "SELECT 2 AS two"))[0].two == 2

            sibling = asyncio.ensure_future(fetch_rows(client, SLOW))
            await asyncio.sleep(0.3)
            sibling.cancel()
            with pytest.raises(asyncio.CancelledError):
                await sibling
            assert (await fetch_rows(client, "SELECT 3 AS three"))[0].three == 3
    assert _all_back(client)


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite has no pool")
async def test_sqlite_is_unchanged(db):
    client = connections.get("default")
    async with request_reads():
        assert (await fetch_rows(client, "SELECT $1 AS said", ["hi"]))[0].said == "hi"


@pytest.mark.postgres_only
async def test_the_orms_statements_share_the_requests_connection(one_connection):
    """Else a request holding its connection would wait for another for the ORM's
    statement: with every connection so held, for ever."""
    from domain.accounts.models import Account

    client = one_connection
    async with asyncio.timeout(10):
        async with request_reads():
            ours = (await fetch_rows(client, PID))[0].pid
            assert not _all_back(client)  # held for the request
            _, theirs = await client.execute_query(PID)
            assert theirs[0]["pid"] == ours
            await asyncio.gather(Account.all().count(), fetch_rows(client, PID), Account.exists(),
                                 client.execute_query(PID))
            with pytest.raises(OperationalError):
                await client.execute_query("SELEKT 1")
            assert (await fetch_rows(client, PID))[0].pid == ours
    assert _all_back(client)


@pytest.mark.postgres_only
async def test_a_nested_transaction_never_waits_for_a_siblings_statement(db):
    """A nested transaction is a savepoint on its outer one's connection: it must not wait
    for the request's read lock, which a sibling's statement can hold while PostgreSQL
    blocks it on a row the outer transaction locked (a cycle PostgreSQL cannot see)."""
    client = connections.get("default")
    async with request_reads() as reads:
        async with transaction():
            await fetch_rows(client, PID)  # a sibling's read takes the request's connection again
            await reads._lock.acquire()  # ... and its next statement waits on our row lock
            try:
                async with asyncio.timeout(2):
                    async with transaction() as nested:
                        await execute(nested, "SELECT 1")
            finally:
                reads._lock.release()


@pytest.mark.postgres_only
async def test_a_statement_that_lost_its_connection_gives_it_back(one_connection):
    """The server refusing a statement leaves the connection usable; losing the connection
    (a restart, a failover) does not: the next statement takes a fresh one."""
    client = one_connection
    async with request_reads():
        first = (await fetch_rows(client, PID))[0].pid
        with pytest.raises(Exception):
            await fetch_rows(client, "SELECT pg_terminate_backend(pg_backend_pid())")
        second = (await fetch_rows(client, PID))[0].pid
    assert second != first
    assert _all_back(client)
