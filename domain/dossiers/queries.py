"""Batch reads for dossiers (DataLoader batch functions: keys in, results out in the
same order), and the active-client usage of an account (A6).

These read whatever they are asked for: visibility is decided before a dossier id
reaches them (domain.dossiers.access)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any, Sequence

from tortoise import connections

from domain.accounts.models import Account
from domain.core.actor import Actor
from domain.core.batching import by_key, grouped
from infra.clock import month_key, months_back, next_month_start, parse_month
from infra.db import Part, Reads, Row, dialect, fetch_rows, placeholders
from domain.core.errors import InvalidInput
from domain.core.paging import Slice, counts_by, id_bounds, in_order
from domain.dossiers.access import DossierAccess, accesses
from domain.dossiers.models import ActiveDossier, ActiveMonth, EntryRevision, Measurement

MAX_HISTORY = 36


async def measurements_by_id(ids: Sequence[int]) -> list[Measurement | None]:
    return by_key(await Measurement.filter(id__in=list(ids)), ids)


# (dossier id, the slice of its entries a page asks for)
EntryPageKey = tuple[int, Slice]


# The columns of an entry with its current version: the entry's, and the version's
# body, author and time (`CURRENT_ENTRY`).
_CURRENT_ENTRY = ("e.id, e.account_id, e.dossier_id, e.kind, e.current_version, r.body, r.author_user_id, "
                  "r.author_email, r.written_at")


async def entry_pages(keys: Sequence[EntryPageKey]) -> list[tuple[list[Row], bool]]:
    """Newest first: one page of entries per dossier, as (entries, whether more lie
    beyond the page in the direction of travel), each entry a row with its current
    version's text, author and time.

    A page of 20 dossiers asks for 20 pages at once. One query serves all dossiers that
    ask for the same slice (in practice: all of them) with ROW_NUMBER() OVER (PARTITION
    BY dossier_id): each dossier's `size + 1` rows from the end it starts at, read along
    the (dossier_id, id) index, instead of every entry of every dossier (fetch-all-and-cut
    would grow with the dossiers' history, not with the page). The current revision is
    joined in, so showing an entry's text costs no further read.
    """
    pages: dict[EntryPageKey, tuple[list[Row], bool]] = {}
    conn = connections.get("default")
    for page, ids in _by_slice(keys).items():
        source, params, direction = _entry_rows(ids, page)
        rows = await fetch_rows(conn, f"SELECT {_ENTRY_COLUMNS} FROM {source} ORDER BY dossier_id, id {direction}",
                                params, datetimes=("written_at",))
        per_dossier: dict[int, list[Row]] = {dossier_id: [] for dossier_id in ids}
        for row in rows:
            per_dossier[row.dossier_id].append(row)
        for dossier_id, entries in per_dossier.items():
            pages[(dossier_id, page)] = in_order(entries, page)
    return [pages[tuple(key)] for key in keys]


def entry_page_reads(keys: Sequence[EntryPageKey]) -> Reads:
    """`entry_pages` with each entry as the driver's record (by column name, the columns
    of `_ENTRY_COLUMNS`), not a row object: for completions that read each column once
    (schema/record_completion.py). The same rows, slices and order; one part per slice,
    to send alone or with a page's other lists. PostgreSQL only."""
    groups = _by_slice(keys)
    parts = []
    for page, ids in groups.items():
        source, params, direction = _entry_rows(ids, page)
        parts.append(Part(f"SELECT {_ENTRY_COLUMNS} FROM {source} ORDER BY dossier_id, id {direction}", params,
                          _ENTRY_TYPES))

    def answer(found: list[list[Any]]) -> list[tuple[list[Any], bool]]:
        pages: dict[EntryPageKey, tuple[list[Any], bool]] = {}
        for (page, ids), records in zip(groups.items(), found):
            per_dossier: dict[int, list[Any]] = {dossier_id: [] for dossier_id in ids}
            for record in records:
                per_dossier[record["dossier_id"]].append(record)
            for dossier_id, entries in per_dossier.items():
                pages[(dossier_id, page)] = in_order(entries, page)
        return [pages[tuple(key)] for key in keys]

    return Reads(parts, answer)


def _by_slice(keys: Sequence[EntryPageKey]) -> dict[Slice, list[int]]:
    groups: dict[Slice, set[int]] = defaultdict(set)
    for dossier_id, page in keys:
        groups[page].add(dossier_id)
    return {page: sorted(ids) for page, ids in groups.items()}


# An entry as the lists read it, with each column's type (a part of a shared statement).
_ENTRY_TYPES = (("id", "bigint"), ("account_id", "bigint"), ("dossier_id", "bigint"), ("kind", "text"),
                ("current_version", "integer"), ("body", "text"), ("author_user_id", "bigint"),
                ("author_email", "text"), ("written_at", "timestamptz"))
_ENTRY_COLUMNS = ", ".join(name for name, _ in _ENTRY_TYPES)


def _entry_rows(ids: list[int], page: Slice) -> tuple[str, list, str]:
    """The rows of a slice of each dossier's entries, as a FROM item named `entry`:
    `_ENTRY_COLUMNS` and `rn`, each row's place in its dossier in the direction of travel
    (`size + 1` of them at most); with its parameters and that direction."""
    marks = placeholders(1, len(ids))
    params: list = list(ids)
    cursor_sql, direction = id_bounds(page, params, newest_first=True)
    params.append(page.size + 1)
    source = (
        f"(SELECT {_CURRENT_ENTRY}, e.rn FROM ("
        "SELECT id, account_id, dossier_id, kind, current_version, "
        f"ROW_NUMBER() OVER (PARTITION BY dossier_id ORDER BY id {direction}) AS rn "
        f"FROM entry WHERE dossier_id IN ({marks}){cursor_sql}"
        f") e JOIN entry_revision r ON r.entry_id = e.id AND r.version = e.current_version "
        f"WHERE e.rn <= ${len(params)}) entry"
    )
    return source, params, direction


async def entry_counts(dossier_ids: Sequence[int]) -> list[int]:
    """How many entries each dossier holds: one statement for a page of dossiers."""
    return await counts_by("entry", "dossier_id", dossier_ids)


async def current_entries_by_id(ids: Sequence[int]) -> list[Row | None]:
    """Entries with their current version, by id (the `node` and payload path)."""
    marks = placeholders(1, len(ids))
    sql = (f"SELECT {_CURRENT_ENTRY} FROM entry e "
           "JOIN entry_revision r ON r.entry_id = e.id AND r.version = e.current_version "
           f"WHERE e.id IN ({marks})")
    rows = await fetch_rows(connections.get("default"), sql, list(ids), datetimes=("written_at",))
    return by_key(rows, ids)


async def revisions_by_entry(entry_ids: Sequence[int]) -> list[list[EntryRevision]]:
    """Every version of each entry, oldest first (D5)."""
    rows = await EntryRevision.filter(entry_id__in=list(entry_ids)).order_by("entry_id", "version")
    return grouped(rows, entry_ids, lambda row: row.entry_id)


_MEASURE_PLACES = Decimal("1.000000")  # measurement.value is DECIMAL(18, 6)


async def measurements_by_dossier(dossier_ids: Sequence[int]) -> list[list[Row]]:
    """Oldest measurement first, so a series reads like a chart: rows with a
    measurement's columns (plain SQL: building the ORM's query cost more than reading it)."""
    if not dossier_ids:
        return []
    ids = list(dossier_ids)
    rows = await fetch_rows(
        connections.get("default"),
        "SELECT id, account_id, dossier_id, metric, value, unit, measured_at, author_user_id, author_email, "
        f"created_at FROM measurement WHERE dossier_id IN ({placeholders(1, len(ids))}) ORDER BY measured_at, id",
        ids,
        datetimes=("measured_at", "created_at"))
    for row in rows:
        # As the model's field gives it: six places (SQLite hands back the stored text).
        row.value = Decimal(row.value).quantize(_MEASURE_PLACES)
    return grouped(rows, dossier_ids, lambda row: row.dossier_id)


async def assignees_by_dossier(dossier_ids: Sequence[int]) -> list[list[Row]]:
    """Each dossier's assigned teammates (membership rows with their `user`), in the
    order they were assigned."""
    if not dossier_ids:
        return []
    conn = connections.get("default")
    rows = await fetch_rows(conn, _assignees_sql(conn, len(dossier_ids)), list(dossier_ids),
                            datetimes=("created_at",))
    for row in rows:
        row.user = Row(id=row.user_id, email=row.email, name=row.name, email_verified=bool(row.email_verified),
                       two_factor_enabled=bool(row.two_factor_enabled))
    return grouped(rows, dossier_ids, lambda row: row.dossier_id)


def assignee_reads(dossier_ids: Sequence[int]) -> Reads:
    """`assignees_by_dossier` with each teammate as the driver's record (by column name:
    the membership's, and its user's as `user_id`, `email`, `name`, `email_verified`,
    `two_factor_enabled`), for completions that read each column once
    (schema/record_completion.py), alone or with a page's other lists. PostgreSQL only."""
    if not dossier_ids:
        return Reads([], lambda found: [])
    conn = connections.get("default")
    part = Part(_assignees_sql(conn, len(dossier_ids)), list(dossier_ids), _ASSIGNEE_TYPES)
    return Reads([part], lambda found: grouped(found[0], dossier_ids, itemgetter("dossier_id")))


# The columns of `_assignees_sql`, with their types.
_ASSIGNEE_TYPES = (("dossier_id", "bigint"), ("id", "bigint"), ("account_id", "bigint"), ("role", "text"),
                   ("created_at", "timestamptz"), ("user_id", "bigint"), ("email", "text"), ("name", "text"),
                   ("email_verified", "boolean"), ("two_factor_enabled", "boolean"))


def _assignees_sql(conn: Any, count: int) -> str:
    membership = "membership m ON m.id = a.membership_id"
    if dialect(conn) == "postgres":
        # Each assignment's membership by its key. Joined plainly, PostgreSQL hashes every
        # membership of the service for a page's twenty assignments (0.43-0.49 ms for this
        # statement at the benchmark's 808 memberships; 0.28 ms this way, at any size).
        membership = ("LATERAL (SELECT m.id, m.account_id, m.role, m.created_at, m.user_id FROM membership m "
                      "WHERE m.id = a.membership_id OFFSET 0) m ON TRUE")
    return ("SELECT a.dossier_id, m.id, m.account_id, m.role, m.created_at, u.id AS user_id, u.email, u.name, "
            "(u.email_verified_at IS NOT NULL) AS email_verified, (u.totp_enabled_at IS NOT NULL) AS "
            f"two_factor_enabled FROM dossier_assignment a JOIN {membership} JOIN \"user\" u ON u.id = m.user_id "
            f"WHERE a.dossier_id IN ({placeholders(1, count)}) ORDER BY a.created_at, a.id")


async def dossiers_active(keys: Sequence[tuple[int, str, int]]) -> list[bool]:
    """(account id, month, dossier id) → active in that month (A1)."""
    if not keys:
        return []
    accounts, months = sorted({k[0] for k in keys}), sorted({k[1] for k in keys})
    dossiers = sorted({k[2] for k in keys})
    rows = await fetch_rows(
        connections.get("default"),
        "SELECT account_id, month, dossier_id FROM active_dossier "
        f"WHERE account_id IN ({placeholders(1, len(accounts))}) "
        f"AND month IN ({placeholders(len(accounts) + 1, len(months))}) "
        f"AND dossier_id IN ({placeholders(len(accounts) + len(months) + 1, len(dossiers))})",
        [*accounts, *months, *dossiers])
    found = {(row.account_id, row.month, row.dossier_id) for row in rows}
    return [tuple(key) in found for key in keys]


@dataclass(frozen=True)
class Usage:
    """An account's active clients in one month (A6)."""

    account_id: int
    month: str
    count: int
    limit: int | None  # the cap the month had (this month: today's); None: unlimited
    resets_on: date


def check_month(month: str | None, now: datetime, time_zone: str) -> str:
    """The month asked for, default this month in the account's zone."""
    if month is None:
        return month_key(now, time_zone)
    if parse_month(month.strip()) is None:
        raise InvalidInput("Give the month as YYYY-MM, e.g. 2026-04.", field=("month",))
    return month.strip()


def history_months(account: Account, *, last: int, now: datetime) -> list[str]:
    """This month and the `last - 1` before it, newest first (A6)."""
    if not 1 <= last <= MAX_HISTORY:
        raise InvalidInput(f"`last` must be between 1 and {MAX_HISTORY}.", field=("last",))
    return months_back(month_key(now, account.time_zone), last)


def usage_in(account_id: int, month: str, count: int, limit: int | None) -> Usage:
    """The usage of one month, measured against the cap billing says it had (A6);
    months without activity count 0."""
    return Usage(account_id, month, count, limit, next_month_start(month))


async def month_counts(keys: Sequence[tuple[int, str]]) -> list[int]:
    """DataLoader batch: (account id, month) → the active clients counted in it (A2)."""
    rows = await ActiveMonth.filter(account_id__in=list({k[0] for k in keys}),
                                    month__in=list({k[1] for k in keys})).values_list("account_id", "month", "count")
    counts = {(account_id, month): count for account_id, month, count in rows}
    return [counts.get(tuple(key), 0) for key in keys]


# (actor, account id, month)
ActiveKey = tuple[Actor, int, str]


async def active_dossiers(keys: Sequence[ActiveKey]) -> list[list[DossierAccess]]:
    """DataLoader batch: the dossiers active in that month that this actor may see, by
    client name. Erased dossiers still count (A2) but are not listed. A whole usage
    history is three reads at most, however many months it shows."""
    wanted = {(account_id, month) for _, account_id, month in keys}
    rows = await ActiveDossier.filter(account_id__in=list({k[0] for k in wanted}),
                                      month__in=list({k[1] for k in wanted})
                                      ).values_list("account_id", "month", "dossier_id")
    active: dict[tuple[int, str], set[int]] = defaultdict(set)
    for account_id, month, dossier_id in rows:
        if (account_id, month) in wanted:
            active[(account_id, month)].add(dossier_id)
    wanted_access = sorted({(actor, dossier_id) for actor, account_id, month in keys
                            for dossier_id in active.get((account_id, month), ())}, key=lambda k: k[1])
    found = {key: access for key, access in zip(wanted_access, await accesses(wanted_access)) if access}
    result = []
    for actor, account_id, month in keys:
        visible = [found[(actor, dossier_id)] for dossier_id in active.get((account_id, month), ())
                   if (actor, dossier_id) in found]
        result.append(sorted(visible, key=lambda access: (access.row.client_name, access.row.id)))
    return result
