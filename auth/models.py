"""Refresh tokens: opaque, stored only as hashes, rotated on every use (T1)."""
from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class RefreshToken(Model):
    id = fields.BigIntField(primary_key=True)
    user = fields.ForeignKeyField("models.User", related_name="refresh_tokens", on_delete=fields.CASCADE)
    # The account the session acts in (null for guests and operators).
    account_id = fields.BigIntField(null=True)
    kind = fields.CharField(max_length=16)
    # Every token rotated from one sign-in shares a family; reuse revokes the family.
    family = fields.CharField(max_length=36, db_index=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    expires_at = fields.DatetimeField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "refresh_token"
