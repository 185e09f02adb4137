"""The access log (P2): who read which dossier's content, and when.

A request's reads are collected while it runs and written in one insert before its
response leaves, so logging costs one statement however many dossiers a page shows. The
rows outlive an erased dossier: they hold ids and times, no content."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from functools import lru_cache
from typing import Sequence

from tortoise import connections

from infra.db import execute, placeholders
from domain.core.paging import Slice, counts_by, id_bounds, in_order

_ROWS_PER_INSERT = 500
# (dossier id, account id, reader's user id, business time of the request)
ReadKey = tuple[int, int, int, datetime]


async def record_reads(keys: Sequence[ReadKey]) -> None:
    """Append one access-log row per distinct key: one statement for a page (up to
    `_ROWS_PER_INSERT` rows per statement, within every database's parameter limit)."""
    rows = list(dict.fromkeys(keys))
    conn = connections.get("default")
    for start in range(0, len(rows), _ROWS_PER_INSERT):
        chunk = rows[start:start + _ROWS_PER_INSERT]
        await execute(conn, _insert_of(len(chunk)), [value for row in chunk for value in row])


@lru_cache(maxsize=64)  # pages show the same number of dossiers again and again
def _insert_of(count: int) -> str:
    values = ", ".join(f"(${4 * n + 1}, ${4 * n + 2}, ${4 * n + 3}, ${4 * n + 4})" for n in range(count))
    return f"INSERT INTO dossier_read (dossier_id, account_id, user_id, read_at) VALUES {values}"


# (dossier id, account id, the slice of its log a page asks for)
LogPageKey = tuple[int, int, Slice]


async def access_log_pages(keys: Sequence[LogPageKey]) -> list[tuple[list[dict], bool]]:
    """DataLoader batch: newest first, keyset by id, one page per dossier as (rows,
    whether more lie beyond the page in the direction of travel). Dossiers asking for
    the same slice share one query (`size + 1` rows of each from the end the page starts
    at, along the (account_id, dossier_id, id) index), so a list of dossiers with their
    logs costs one read, not one per dossier. Call `DossierAccess.reads_access_log` first."""
    groups: dict[Slice, set[tuple[int, int]]] = defaultdict(set)
    for dossier_id, account_id, page in keys:
        groups[page].add((account_id, dossier_id))
    pages: dict[tuple, tuple[list[dict], bool]] = {}
    conn = connections.get("default")
    for page, wanted in groups.items():
        accounts = sorted({account_id for account_id, _ in wanted})
        dossiers = sorted({dossier_id for _, dossier_id in wanted})
        params: list = [*accounts, *dossiers]
        in_accounts = placeholders(1, len(accounts))
        in_dossiers = placeholders(len(accounts) + 1, len(params) - len(accounts))
        cursor_sql, direction = id_bounds(page, params, newest_first=True)
        params.append(page.size + 1)
        sql = (
            "SELECT ranked.id, ranked.account_id, ranked.dossier_id, ranked.user_id, ranked.read_at, u.email FROM ("
            "SELECT id, account_id, dossier_id, user_id, read_at, "
            f"ROW_NUMBER() OVER (PARTITION BY account_id, dossier_id ORDER BY id {direction}) AS rn "
            f"FROM dossier_read WHERE account_id IN ({in_accounts}) AND dossier_id IN ({in_dossiers}){cursor_sql}"
            f") ranked LEFT JOIN \"user\" u ON u.id = ranked.user_id WHERE ranked.rn <= ${len(params)} "
            f"ORDER BY ranked.dossier_id, ranked.id {direction}"
        )
        _, rows = await execute(conn, sql, params)
        found: dict[tuple[int, int], list[dict]] = {key: [] for key in wanted}
        for row in rows:
            key = (row["account_id"], row["dossier_id"])
            if key in found:
                found[key].append({**row, "read_at": _aware(row["read_at"])})
        for (account_id, dossier_id), log in found.items():
            pages[(dossier_id, account_id, page)] = in_order(log, page)
    return [pages[tuple(key)] for key in keys]


async def access_log_counts(keys: Sequence[tuple[int, int]]) -> list[int]:
    """DataLoader batch: how many reads each (dossier id, account id) logged, one
    statement per account along the (account_id, dossier_id, id) index."""
    by_account: dict[int, list[int]] = defaultdict(list)
    for dossier_id, account_id in keys:
        by_account[account_id].append(dossier_id)
    counted: dict[tuple[int, int], int] = {}
    for account_id, dossier_ids in by_account.items():
        for dossier_id, n in zip(dossier_ids, await counts_by("dossier_read", "dossier_id", dossier_ids,
                                                              where="account_id = $1", params=[account_id])):
            counted[(dossier_id, account_id)] = n
    return [counted[tuple(key)] for key in keys]


def _aware(value):  # noqa: ANN001, ANN202 - SQLite hands back text
    from datetime import timezone

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
