"""Batch reads for shares (DataLoader batch functions: keys in, rows out in key order).
Only live (unrevoked) shares are listed; revoked ones stay in the table for the record."""
from __future__ import annotations

from operator import itemgetter
from typing import Any, Sequence

from tortoise import connections
from tortoise.expressions import Q

from domain.core.batching import by_key, grouped
from infra.db import Part, Reads, Row, fetch_rows, placeholders
from domain.shares.models import Share


async def shares_by_id(ids: Sequence[int]) -> list[Share | None]:
    return by_key(await Share.filter(id__in=list(ids), revoked_at__isnull=True), ids)


async def shares_by_dossier(dossier_ids: Sequence[int]) -> list[list[Row]]:
    """Each dossier's live shares, oldest first."""
    if not dossier_ids:
        return []
    marks = placeholders(1, len(dossier_ids))
    rows = await fetch_rows(connections.get("default"), _LIVE_SHARES.format(marks=marks), list(dossier_ids),
                            datetimes=("created_at",))
    return grouped(rows, dossier_ids, lambda row: row.dossier_id)


def share_reads(dossier_ids: Sequence[int]) -> Reads:
    """`shares_by_dossier` with each share as the driver's record (by column name), for
    completions that read each column once (schema/record_completion.py), alone or with
    a page's other lists. PostgreSQL only."""
    if not dossier_ids:
        return Reads([], lambda found: [])
    part = Part(_LIVE_SHARES.format(marks=placeholders(1, len(dossier_ids))), list(dossier_ids), _SHARE_TYPES)
    return Reads([part], lambda found: grouped(found[0], dossier_ids, itemgetter("dossier_id")))


# A share as the lists read it, with each column's type (a part of a shared statement).
_SHARE_TYPES = (("id", "bigint"), ("dossier_id", "bigint"), ("email", "text"), ("access", "text"),
                ("status", "text"), ("created_at", "timestamptz"))
_LIVE_SHARES = (f"SELECT {', '.join(name for name, _ in _SHARE_TYPES)} FROM share "
                "WHERE dossier_id IN ({marks}) AND revoked_at IS NULL ORDER BY created_at, id")


async def shares_held_by(holders: Sequence[tuple[int, str | None]]) -> list[list[Share]]:
    """(user id, email) → the live shares given to that person: taken up by them, or
    still waiting for them under their email (PENDING, or SUSPENDED before acceptance).
    Pass None as the email of a login that has not proven it (I1): what waits for an
    address is not shown to whoever signed up with it."""
    user_ids = [user_id for user_id, _ in holders]
    emails = [email for _, email in holders if email is not None]
    rows = await Share.filter(Q(user_id__in=user_ids) | Q(email__in=emails), revoked_at__isnull=True
                              ).order_by("created_at", "id")
    result: list[list[Share]] = []
    for user_id, email in holders:
        result.append([row for row in rows if row.user_id == user_id or (row.user_id is None and row.email == email)])
    return result

