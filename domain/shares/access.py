"""A share's access levels and statuses: read (VIEWER) or read and write (CONTRIBUTOR)
access to a dossier of another account (D3). Which shares count is decided where every
request reads access (domain/dossiers/access.py): ACTIVE, unrevoked ones, read fresh, so
a revocation or suspension bites on the next request (G6)."""
from __future__ import annotations

VIEWER = "VIEWER"
CONTRIBUTOR = "CONTRIBUTOR"
ACCESS_LEVELS = (VIEWER, CONTRIBUTOR)

# A live (unrevoked) share is PENDING until its holder has a login, ACTIVE after, and
# SUSPENDED while G5 keeps it from its holder. Revoked shares keep their last status.
PENDING = "PENDING"
ACTIVE = "ACTIVE"
SUSPENDED = "SUSPENDED"
USABLE = (PENDING, ACTIVE)
