"""A transaction cancelled at any moment (a request past its deadline: SPEC O3) is rolled
back and leaves nothing held: no pool connection or open transaction on PostgreSQL, no
lock on SQLite (where a held lock would stop every later transaction of the process)."""
from __future__ import annotations

import asyncio
import time

import pytest
from tortoise import connections

from infra.db import execute, transaction
from tests.conftest import ON_POSTGRES


async def _write(key: str) -> None:
    async with transaction() as conn:
        await execute(conn, 'INSERT INTO "rate_limit" ("key", "window_start", "count") VALUES ($1, 1, 1)', [key])
        await execute(conn, 'SELECT COUNT(*) AS n FROM "rate_limit"')
        await execute(conn, 'UPDATE "rate_limit" SET "count" = 2 WHERE "key" = $1', [key])


async def _cancel(coroutine, *, after_steps: int = 0, after_seconds: float = 0.0) -> None:
    task = asyncio.ensure_future(coroutine)
    for _ in range(after_steps):
        await asyncio.sleep(0)
    if after_seconds:
        await asyncio.sleep(after_seconds)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass


async def _nothing_left_open() -> None:
    async with asyncio.timeout(5):  # a held lock or pool slot would wait here forever
        async with transaction() as conn:
            _, rows = await execute(conn, 'SELECT COUNT(*) AS n FROM "rate_limit" WHERE "count" = 2')
    if ON_POSTGRES:
        _, open_ = await connections.get("default").execute_query(
            "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database() "
            "AND state LIKE 'idle in transaction%'")
        assert open_[0]["n"] == 0


async def test_a_transaction_cancelled_at_any_await_is_rolled_back_and_frees_everything(db):
    started = time.perf_counter()
    await _write("whole")
    duration = time.perf_counter() - started
    for step in range(12):
        await _cancel(_write(f"step-{step}"), after_steps=step)
        await _nothing_left_open()
    for tenth in range(10):
        await _cancel(_write(f"time-{tenth}"), after_seconds=duration * tenth / 10)
        await _nothing_left_open()
    async with transaction() as conn:
        _, rows = await execute(conn, 'SELECT "key" FROM "rate_limit" WHERE "count" = 2')
    # Every write either finished whole or left nothing: none is half-done.
    _, halves = await connections.get("default").execute_query(
        'SELECT COUNT(*) AS n FROM "rate_limit" WHERE "count" = 1')
    assert halves[0]["n"] == 0
    assert "whole" in {row["key"] for row in rows}


@pytest.mark.postgres_only
async def test_a_statement_cancelled_on_postgresql_stops_on_the_server(db):
    async def slow() -> None:
        async with transaction() as conn:
            await execute(conn, "SELECT pg_sleep(30)")

    started = time.perf_counter()
    await _cancel(slow(), after_seconds=0.2)
    await _nothing_left_open()
    _, running = await connections.get("default").execute_query(
        "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(30)%' AND state = 'active'")
    assert running[0]["n"] == 0
    assert time.perf_counter() - started < 5
