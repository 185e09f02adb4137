"""Batch reads for dossiers (DataLoader batch functions: keys in, results out in the
same order), and the active-client usage of an account (A6).

These read whatever they are asked for: visibility is decided before a dossier id
reaches them (domain.dossiers.access)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Sequence

from tortoise import connections

from domain.accounts.models import Account, Membership
from domain.billing.catalog import Catalog
from domain.billing.models import Subscription
from domain.core.actor import Actor
from domain.core.batching import by_key, grouped
from domain.core.clock import month_key, months_back, next_month_start, parse_month
from domain.core.db import execute
from domain.core.errors import InvalidInput
from domain.dossiers.access import access_levels
from domain.dossiers.models import ActiveDossier, ActiveMonth, Dossier, DossierAssignment, Entry, EntryRevision, Measurement

MAX_HISTORY = 36


async def dossiers_by_id(ids: Sequence[int]) -> list[Dossier | None]:
    return by_key(await Dossier.filter(id__in=list(ids)), ids)


async def entries_by_id(ids: Sequence[int]) -> list[Entry | None]:
    return by_key(await Entry.filter(id__in=list(ids)), ids)


async def measurements_by_id(ids: Sequence[int]) -> list[Measurement | None]:
    return by_key(await Measurement.filter(id__in=list(ids)), ids)


# (dossier id, page size, id of the last entry seen or None)
EntryPageKey = tuple[int, int, "int | None"]


async def entry_pages(keys: Sequence[EntryPageKey]) -> list[tuple[list[Entry], bool]]:
    """Newest first: one page of entries per dossier, as (entries, has_next_page).

    A page of 20 dossiers asks for 20 pages at once. One query serves all dossiers that
    ask for the same page size and cursor (in practice: all of them) with
    ROW_NUMBER() OVER (PARTITION BY dossier_id): each dossier's newest `first + 1` rows,
    read along the (dossier_id, id) index, instead of every entry of every dossier
    (fetch-all-and-cut would grow with the dossiers' history, not with the page).
    """
    groups: dict[tuple[int, int | None], list[int]] = defaultdict(list)
    for dossier_id, first, before_id in keys:
        groups[(first, before_id)].append(dossier_id)
    pages: dict[EntryPageKey, tuple[list[Entry], bool]] = {}
    conn = connections.get("default")
    for (first, before_id), dossier_ids in groups.items():
        ids = sorted(set(dossier_ids))
        placeholders = ", ".join(f"${n}" for n in range(1, len(ids) + 1))
        params: list[int] = list(ids)
        cursor_sql = ""
        if before_id is not None:
            params.append(before_id)
            cursor_sql = f" AND id < ${len(params)}"
        params.append(first + 1)
        sql = (
            "SELECT id, account_id, dossier_id, kind, current_version, created_at FROM ("
            "SELECT id, account_id, dossier_id, kind, current_version, created_at, "
            "ROW_NUMBER() OVER (PARTITION BY dossier_id ORDER BY id DESC) AS rn "
            f"FROM entry WHERE dossier_id IN ({placeholders}){cursor_sql}"
            f") ranked WHERE rn <= ${len(params)} ORDER BY dossier_id, id DESC"
        )
        _, rows = await execute(conn, sql, params)
        per_dossier: dict[int, list[Entry]] = {dossier_id: [] for dossier_id in ids}
        for row in rows:
            per_dossier[row["dossier_id"]].append(Entry._init_from_db(**row))
        for dossier_id, entries in per_dossier.items():
            pages[(dossier_id, first, before_id)] = (entries[:first], len(entries) > first)
    return [pages[tuple(key)] for key in keys]


async def revisions_by_entry(entry_ids: Sequence[int]) -> list[list[EntryRevision]]:
    """Every version of each entry, oldest first (D5)."""
    rows = await EntryRevision.filter(entry_id__in=list(entry_ids)).order_by("entry_id", "version")
    return grouped(rows, entry_ids, lambda row: row.entry_id)


async def revisions_by_version(keys: Sequence[tuple[int, int]]) -> list[EntryRevision | None]:
    """(entry id, version) → that revision; used for an entry's current version."""
    entry_ids = {entry_id for entry_id, _ in keys}
    versions = {version for _, version in keys}
    rows = await EntryRevision.filter(entry_id__in=list(entry_ids), version__in=list(versions))
    return by_key(rows, keys, lambda row: (row.entry_id, row.version))


async def measurements_by_dossier(dossier_ids: Sequence[int]) -> list[list[Measurement]]:
    """Oldest measurement first, so a series reads like a chart."""
    rows = await Measurement.filter(dossier_id__in=list(dossier_ids)).order_by("measured_at", "id")
    return grouped(rows, dossier_ids, lambda row: row.dossier_id)


async def assignees_by_dossier(dossier_ids: Sequence[int]) -> list[list[Membership]]:
    rows = await DossierAssignment.filter(dossier_id__in=list(dossier_ids)
                                          ).select_related("membership").order_by("created_at", "id")
    by_dossier = grouped(rows, dossier_ids, lambda row: row.dossier_id)
    return [[row.membership for row in group] for group in by_dossier]


async def dossiers_active(keys: Sequence[tuple[int, str, int]]) -> list[bool]:
    """(account id, month, dossier id) → active in that month (A1)."""
    rows = await ActiveDossier.filter(
        account_id__in=list({k[0] for k in keys}), month__in=list({k[1] for k in keys}),
        dossier_id__in=list({k[2] for k in keys})).values_list("account_id", "month", "dossier_id")
    found = set(rows)
    return [tuple(key) in found for key in keys]


@dataclass(frozen=True)
class Usage:
    """An account's active clients in one month (A6)."""

    account_id: int
    month: str
    count: int
    limit: int | None  # the current tier's cap; None: unlimited
    resets_on: date


def check_month(month: str | None, now: datetime, time_zone: str) -> str:
    """The month asked for, default this month in the account's zone."""
    if month is None:
        return month_key(now, time_zone)
    if parse_month(month.strip()) is None:
        raise InvalidInput("Give the month as YYYY-MM, e.g. 2026-04.", field=("month",))
    return month.strip()


async def _current_cap(account_id: int, catalog: Catalog) -> int | None:
    subscription = await Subscription.get(account_id=account_id)
    return catalog.tier(subscription.tier).cap


async def usage(account: Account, month: str | None, *, now: datetime, catalog: Catalog) -> Usage:
    key = check_month(month, now, account.time_zone)
    row = await ActiveMonth.get_or_none(account_id=account.id, month=key)
    return Usage(account.id, key, row.count if row else 0, await _current_cap(account.id, catalog),
                 next_month_start(key))


async def usage_history(account: Account, *, last: int, now: datetime, catalog: Catalog) -> list[Usage]:
    """This month and the `last - 1` before it, newest first; months without activity
    count 0. The limit shown is today's cap (past caps are in the audit log)."""
    if not 1 <= last <= MAX_HISTORY:
        raise InvalidInput(f"`last` must be between 1 and {MAX_HISTORY}.", field=("last",))
    keys = months_back(month_key(now, account.time_zone), last)
    counts = dict(await ActiveMonth.filter(account_id=account.id, month__in=keys).values_list("month", "count"))
    cap = await _current_cap(account.id, catalog)
    return [Usage(account.id, key, counts.get(key, 0), cap, next_month_start(key)) for key in keys]


async def active_dossiers(actor: Actor, account_id: int, month: str) -> list[Dossier]:
    """The dossiers active in that month that this actor may see, by client name.
    Erased dossiers still count (A2) but are not listed."""
    ids = await ActiveDossier.filter(account_id=account_id, month=month).values_list("dossier_id", flat=True)
    rows = await Dossier.filter(id__in=list(ids)).order_by("client_name", "id") if ids else []
    levels = await access_levels(actor, rows)
    return [row for row in rows if row.id in levels]
