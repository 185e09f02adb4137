"""Active clients per month (A1–A5), and the gate every dossier write passes (S9).

A content write marks its dossier active in the account's calendar month. The month's
count lives in one `active_month` row (one indexed lookup, A2; a new month is simply a
new row, no job). The cap is enforced inside the write's own transaction:

1. INSERT the (account, month, dossier) `active_dossier` row, ON CONFLICT DO NOTHING.
   Already there → the dossier is active this month: always allowed (A4).
2. Otherwise make sure the month row exists, then
   `UPDATE active_month SET count = count + 1 WHERE … AND count < cap`.
   On PostgreSQL the UPDATE takes the row lock and re-checks `count < cap` against the
   latest committed count, so racing transactions from any number of processes queue
   on that row and at most `cap` of them ever succeed (A5). On SQLite tortoise runs one
   transaction at a time per process, which is the only supported SQLite setup.
3. No row updated → the cap is reached: LimitReached rolls the whole write back (A3).

A tier decrease mid-month (S5) needs nothing special: new activations are checked
against the new cap, dossiers already active keep passing step 1. The cap is billing's
answer as of now (`domain.billing.terms`), so a decrease scheduled for a renewal bites
from the renewal date on, whether or not a worker has run since (O2).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.billing.catalog import Catalog
from domain.billing.terms import Terms, writable_terms
from infra.clock import month_key
from infra.db import dialect, execute
from domain.core.errors import ErrorCode, LiftRequest, LimitReached
from domain.live import publish as live

# The share of the cap from which live viewers hear of each new active client.
NEAR_CAP = 0.8
_MARK_ACTIVE = "INSERT INTO active_dossier (account_id, month, dossier_id, first_written_at)"


async def writing_account(account_id: int, *, now: datetime, catalog: Catalog) -> Terms:
    """The dossier's account's terms as of now (its zone, its local today, its tier),
    refused when its cancellation has taken effect (S9). Every dossier write goes through
    here, inside its transaction: one read of the subscription with its account."""
    return await writable_terms(account_id, now=now, catalog=catalog)


async def activate(conn: Any, writing: Terms, dossier_id: int, *, now: datetime,
                   catalog: Catalog) -> bool:
    """Mark the dossier active this month (A1); True when it was not yet. Raises
    LimitReached when that would pass the tier's cap (A3). `conn` must be the
    transaction of the write, so a refusal rolls the write back too."""
    month = month_key(now, writing.time_zone)
    marked = await _mark_active(conn, writing.account_id, month, dossier_id, now)
    return await count_active(conn, writing, month, marked=marked, now=now, catalog=catalog)


def mark_active_sql(account_id: str, month: str, dossier_id: str, now: str) -> str:
    """Step 1 as a data-modifying CTE (PostgreSQL) for a write that marks its dossier
    active in the same statement as it writes its own rows, given its placeholders;
    the CTE returns one row when the dossier was not active yet. `count_active` then
    does the rest, with the month of `month_key`."""
    return (f"{_MARK_ACTIVE} VALUES ({account_id}, {month}, {dossier_id}, {now}) "
            f"ON CONFLICT (account_id, month, dossier_id) DO NOTHING RETURNING id")


async def count_active(conn: Any, writing: Terms, month: str, *, marked: bool, now: datetime,
                       catalog: Catalog) -> bool:
    """Steps 2 and 3 of `activate`, once step 1 ran: `marked` when it inserted the row."""
    if not marked:
        return False  # A4
    account_id = writing.account_id
    await execute(conn, "INSERT INTO active_month (account_id, month, count) VALUES ($1, $2, 0) "
                        "ON CONFLICT (account_id, month) DO NOTHING", [account_id, month])
    cap = writing.cap(catalog)
    if cap is None:
        await execute(conn, "UPDATE active_month SET count = count + 1 WHERE account_id = $1 AND month = $2",
                      [account_id, month])
        return True
    updated, _ = await execute(
        conn, "UPDATE active_month SET count = count + 1 WHERE account_id = $1 AND month = $2 AND count < $3",
        [account_id, month, cap])
    if updated == 0:
        _, rows = await execute(conn, "SELECT count FROM active_month WHERE account_id = $1 AND month = $2",
                                [account_id, month])
        count = rows[0]["count"] if rows else cap
        wanted = catalog.smallest_tier_allowing(count)
        raise LimitReached(
            ErrorCode.ACTIVE_CLIENT_LIMIT_REACHED,
            f"{count} clients are already active in {month}, the most your plan allows "
            f"({cap}). Work on an already active client, or raise the active-client tier "
            f"to {wanted.name} to add another.",
            lift=LiftRequest(account_id, tier=wanted.name),
        )
    await _tell_if_near_cap(conn, account_id, month, cap, now)
    return True


async def _tell_if_near_cap(conn: Any, account_id: int, month: str, cap: int, now: datetime) -> None:
    """From NEAR_CAP of the cap on, each new active client is told to the account's live
    viewers (T7), after commit, so apps can show the usage before a write is refused."""
    if cap <= 0:
        return
    _, rows = await execute(conn, "SELECT count FROM active_month WHERE account_id = $1 AND month = $2",
                            [account_id, month])
    if rows and rows[0]["count"] >= cap * NEAR_CAP:
        await live.usage_near_cap(account_id, now)


async def _mark_active(conn: Any, account_id: int, month: str, dossier_id: int, now: datetime) -> bool:
    """Insert the (account, month, dossier) row; True when it is new."""
    if dialect(conn) == "postgres":
        params = [account_id, month, dossier_id, now]
        # tortoise's asyncpg client cannot count an INSERT's rows; a CTE returns them.
        _, rows = await execute(conn, f"WITH inserted AS ({mark_active_sql('$1', '$2', '$3', '$4')}) "
                                      "SELECT count(*) AS n FROM inserted", params)
        return rows[0]["n"] == 1
    inserted, _ = await execute(conn, f"{_MARK_ACTIVE} VALUES ($1, $2, $3, $4) "
                                      "ON CONFLICT (account_id, month, dossier_id) DO NOTHING",
                                [account_id, month, dossier_id, now.isoformat()])
    return inserted == 1
