"""The access log (P2): who read which dossier's content, and when.

Reads are collected per request and written with one bulk insert per batch (a
DataLoader over `record_reads` dedups a dossier read twice in one request for free),
so logging does not add a query per dossier shown. The rows outlive an erased dossier:
they hold ids and times, no content."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Sequence

from tortoise import connections

from domain.core.db import execute
from domain.dossiers.models import DossierRead

# (dossier id, account id, reader's user id, business time of the request)
ReadKey = tuple[int, int, int, datetime]


async def record_reads(keys: Sequence[ReadKey]) -> list[None]:
    """DataLoader batch function: append one access-log row per key, in one insert."""
    rows = [DossierRead(dossier_id=dossier_id, account_id=account_id, user_id=user_id, read_at=read_at)
            for dossier_id, account_id, user_id, read_at in dict.fromkeys(keys)]
    if rows:
        await DossierRead.bulk_create(rows)
    return [None] * len(keys)


# (dossier id, account id, page size, id of the last row seen or None)
LogPageKey = tuple[int, int, int, "int | None"]


async def access_log_pages(keys: Sequence[LogPageKey]) -> list[tuple[list[DossierRead], bool]]:
    """DataLoader batch: newest first, keyset by id, one page per dossier as (rows,
    has_next_page). Dossiers asking for the same page share one query (the newest
    `first + 1` rows of each, along the (account_id, dossier_id, id) index), so a list
    of dossiers with their logs costs one read, not one per dossier. Call
    `DossierAccess.reads_access_log` first."""
    groups: dict[tuple[int, int | None], set[tuple[int, int]]] = defaultdict(set)
    for dossier_id, account_id, first, after_id in keys:
        groups[(first, after_id)].add((account_id, dossier_id))
    pages: dict[tuple, tuple[list[DossierRead], bool]] = {}
    conn = connections.get("default")
    for (first, after_id), wanted in groups.items():
        accounts = sorted({account_id for account_id, _ in wanted})
        dossiers = sorted({dossier_id for _, dossier_id in wanted})
        params: list[int] = [*accounts, *dossiers]
        in_accounts = ", ".join(f"${n}" for n in range(1, len(accounts) + 1))
        in_dossiers = ", ".join(f"${n}" for n in range(len(accounts) + 1, len(params) + 1))
        cursor_sql = ""
        if after_id is not None:
            params.append(after_id)
            cursor_sql = f" AND id < ${len(params)}"
        params.append(first + 1)
        sql = (
            "SELECT id, account_id, dossier_id, user_id, read_at FROM ("
            "SELECT id, account_id, dossier_id, user_id, read_at, "
            "ROW_NUMBER() OVER (PARTITION BY account_id, dossier_id ORDER BY id DESC) AS rn "
            f"FROM dossier_read WHERE account_id IN ({in_accounts}) AND dossier_id IN ({in_dossiers}){cursor_sql}"
            f") ranked WHERE rn <= ${len(params)} ORDER BY dossier_id, id DESC"
        )
        _, rows = await execute(conn, sql, params)
        found: dict[tuple[int, int], list[DossierRead]] = {key: [] for key in wanted}
        for row in rows:
            key = (row["account_id"], row["dossier_id"])
            if key in found:
                found[key].append(DossierRead._init_from_db(**row))
        for (account_id, dossier_id), log in found.items():
            pages[(dossier_id, account_id, first, after_id)] = (log[:first], len(log) > first)
    return [pages[tuple(key)] for key in keys]
