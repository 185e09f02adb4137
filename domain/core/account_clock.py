"""Test clocks (O4): outside production an account lives at the latest business time it
has been given — by a request acting in it with `X-Casebook-Now`, or by
advanceTestClock — like a billing system's test clock. Everything that happens to the
account afterwards, in requests and in the worker (renewals, scheduled changes, retries,
export expiry), is as of that clock; an account without one is on the wall clock.

A clock only moves forward. Security time (tokens, sessions, rate limits, leases) never
reads it. In production nothing sets one, so every account is on the wall clock."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable

from tortoise import connections

from infra.clock import utc_now
from infra.db import aware_datetime, execute


def _conn(conn: Any | None) -> Any:
    return conn or connections.get("default")


async def test_clock(account_id: int, *, conn: Any | None = None) -> datetime | None:
    """The account's test clock, or None when it runs on the wall clock."""
    _, rows = await execute(_conn(conn), 'SELECT "test_clock" FROM "account" WHERE "id" = $1', [account_id])
    return aware_datetime(rows[0]["test_clock"]) if rows and rows[0]["test_clock"] is not None else None


async def business_now(account_id: int | None, *, wall: datetime | None = None, conn: Any | None = None) -> datetime:
    """The account's "now": its test clock when it has one, else the wall clock."""
    wall = wall or utc_now()
    if account_id is None:
        return wall
    return await test_clock(account_id, conn=conn) or wall


async def test_clocks(account_ids: Iterable[int] | None = None) -> dict[int, datetime]:
    """Every account with a test clock (or those of `account_ids` that have one)."""
    sql = 'SELECT "id", "test_clock" FROM "account" WHERE "test_clock" IS NOT NULL'
    _, rows = await execute(_conn(None), sql)
    wanted = None if account_ids is None else set(account_ids)
    return {int(row["id"]): aware_datetime(row["test_clock"]) for row in rows
            if wanted is None or int(row["id"]) in wanted}


async def move_forward(account_id: int, to: datetime, *, conn: Any | None = None,
                       reread: bool = True) -> datetime | None:
    """Set the clock to `to` unless it is already there or later (never back); the
    clock afterwards when `reread`. One statement, so concurrent requests cannot move
    it backwards. Stored in UTC: SQLite compares the text."""
    to = to.astimezone(timezone.utc)
    await execute(_conn(conn), 'UPDATE "account" SET "test_clock" = $1 WHERE "id" = $2 '
                               'AND ("test_clock" IS NULL OR "test_clock" < $1)', [to, account_id])
    if not reread:
        return None
    return await test_clock(account_id, conn=conn) or to


# The SQL that the queue's claims use: a row is due by its account's clock, or by the
# wall clock ($n) when the account has none. `alias` is the table holding `account_id`.
def due_by_account_clock(column: str, alias: str, wall_param: str) -> str:
    return (f'{column} <= COALESCE((SELECT "test_clock" FROM "account" WHERE "id" = {alias}.account_id), '
            f'{wall_param})')
