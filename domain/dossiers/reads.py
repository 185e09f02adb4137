"""The access log (P2): who read which dossier's content, and when.

Reads are collected per request and written with one bulk insert per batch (a
DataLoader over `record_reads` dedups a dossier read twice in one request for free),
so logging does not add a query per dossier shown. The rows outlive an erased dossier:
they hold ids and times, no content."""
from __future__ import annotations

from datetime import datetime
from typing import Sequence

from domain.core.actor import Actor
from domain.core.errors import Forbidden
from domain.dossiers.models import Dossier, DossierRead

# (dossier id, account id, reader's user id, business time of the request)
ReadKey = tuple[int, int, int, datetime]


async def record_reads(keys: Sequence[ReadKey]) -> list[None]:
    """DataLoader batch function: append one access-log row per key, in one insert."""
    rows = [DossierRead(dossier_id=dossier_id, account_id=account_id, user_id=user_id, read_at=read_at)
            for dossier_id, account_id, user_id, read_at in dict.fromkeys(keys)]
    if rows:
        await DossierRead.bulk_create(rows)
    return [None] * len(keys)


async def access_log(actor: Actor, dossier: Dossier, *, first: int,
                     after_id: int | None) -> tuple[list[DossierRead], bool]:
    """Newest first, keyset by id. Owners and admins of the dossier's account only."""
    if not (actor.manages_account and actor.account_id == dossier.account_id):
        raise Forbidden("Only owners and admins of the dossier's account may read its access log.")
    query = DossierRead.filter(account_id=dossier.account_id, dossier_id=dossier.id)
    if after_id is not None:
        query = query.filter(id__lt=after_id)
    rows = await query.order_by("-id").limit(first + 1)
    return rows[:first], len(rows) > first
