"""Share tables: free access to one dossier for an email from outside the account, and
the per-email counter that enforces G2 across all accounts."""
from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

# What a share gives (D3): read (VIEWER) or read and write (CONTRIBUTOR) access to a
# dossier of another account.
VIEWER = "VIEWER"
CONTRIBUTOR = "CONTRIBUTOR"
ACCESS_LEVELS = (VIEWER, CONTRIBUTOR)

# A live (unrevoked) share is PENDING until its holder has a login, ACTIVE after, and
# SUSPENDED while G5 keeps it from its holder. Revoked shares keep their last status.
# Only ACTIVE, unrevoked shares give access, decided where every request reads access
# (domain/dossiers/access.py), fresh each time, so a revocation bites at once (G6).
PENDING = "PENDING"
ACTIVE = "ACTIVE"
SUSPENDED = "SUSPENDED"


class Share(Model):
    id = fields.BigIntField(primary_key=True)
    account_id = fields.BigIntField()
    dossier = fields.ForeignKeyField("models.Dossier", related_name="shares", on_delete=fields.CASCADE)
    email = fields.CharField(max_length=254)
    # Set once the invitation is accepted or the email already had a login.
    user_id = fields.BigIntField(null=True)
    access = fields.CharField(max_length=16)   # VIEWER | CONTRIBUTOR
    status = fields.CharField(max_length=16)   # PENDING | ACTIVE | SUSPENDED
    created_by_user_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "share"


class GuestQuota(Model):
    """Per email: how many live shares it holds while not a paid user (G2). Locked by
    a conditional update, so concurrent shares from several processes cannot pass 3."""

    id = fields.BigIntField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)
    held = fields.IntField(default=0)

    class Meta:
        table = "guest_quota"
