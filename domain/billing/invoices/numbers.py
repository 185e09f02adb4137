"""Gapless invoice numbers (B3): `CB-2026-000001`, consecutive per calendar year of the
issuer, never skipped or reused.

A number is taken by one upsert of the year's counter row inside the transaction that
issues the invoice. On PostgreSQL the row stays locked until that transaction ends, so
concurrent charges from any number of processes and hosts take numbers one after the
other, and a transaction that rolls back gives its number back with the row (the next
charge gets it: no gap). SQLite serialises writing transactions anyway. The price is
that issuing invoices is serialised for the short rest of each charge's transaction, so
callers take the number as late as they can."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from tortoise import connections

from infra.db import dialect

PREFIX = "CB"

_TAKE = ('INSERT INTO "invoice_counter" ("year", "last_number") VALUES ($1, 1) '
         'ON CONFLICT ("year") DO UPDATE SET "last_number" = "invoice_counter"."last_number" + 1 '
         'RETURNING "last_number"')


def issue_date(now: datetime, time_zone: str) -> date:
    """The issuer's calendar day of `now`: it decides the number's year."""
    return now.astimezone(ZoneInfo(time_zone)).date()


def format_number(year: int, sequence: int) -> str:
    return f"{PREFIX}-{year}-{sequence:06d}"


async def take_number(year: int) -> int:
    """The next number of `year`; call inside the issuing transaction."""
    conn = connections.get("default")
    # execute_query_dict: tortoise's asyncpg `execute_query` drops an INSERT's RETURNING rows.
    sql = _TAKE.replace("$1", "?1") if dialect(conn) == "sqlite" else _TAKE
    rows = await conn.execute_query_dict(sql, [year])
    return int(rows[0]["last_number"])
