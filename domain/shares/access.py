"""What shares give a person: read (VIEWER) or read and write (CONTRIBUTOR) access to a
dossier of another account (D3). Only ACTIVE, unrevoked shares count, read fresh on
every request, so a revocation or suspension bites on the next request (G6)."""
from __future__ import annotations

from typing import Iterable

from domain.shares.models import Share

VIEWER = "VIEWER"
CONTRIBUTOR = "CONTRIBUTOR"
ACCESS_LEVELS = (VIEWER, CONTRIBUTOR)

# A live (unrevoked) share is PENDING until its holder has a login, ACTIVE after, and
# SUSPENDED while G5 keeps it from its holder. Revoked shares keep their last status.
PENDING = "PENDING"
ACTIVE = "ACTIVE"
SUSPENDED = "SUSPENDED"
USABLE = (PENDING, ACTIVE)


async def shared_access(user_id: int, dossier_ids: Iterable[int] | None = None) -> dict[int, str]:
    """dossier id → access level, for the live shares held by this user."""
    query = Share.filter(user_id=user_id, status=ACTIVE, revoked_at__isnull=True)
    if dossier_ids is not None:
        query = query.filter(dossier_id__in=list(dossier_ids))
    rows = await query.values_list("dossier_id", "access")
    return {dossier_id: access for dossier_id, access in rows}
