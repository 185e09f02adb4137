"""The tables of a person's login (I1–I5): sign-ins and their refresh tokens, two-factor
recovery codes, and the mailed single-use tokens. Every token is stored only as a hash."""
from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class UserSession(Model):
    """A sign-in (I4): one refresh-token family. Access tokens carry its id (`sid`) and are
    refused once it has ended, on the very next request (auth/principal.py)."""

    id = fields.BigIntField(primary_key=True)
    user = fields.ForeignKeyField("models.User", related_name="sessions", on_delete=fields.CASCADE)
    family = fields.CharField(max_length=36, unique=True)
    # A short summary of the User-Agent that signed in ("Firefox 126 on Windows").
    client = fields.CharField(max_length=120, null=True)
    created_at = fields.DatetimeField()
    # Written at sign-in and at every refresh, never on an ordinary request: it is as
    # precise as the access-token lifetime.
    last_used_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    ended_at = fields.DatetimeField(null=True)

    class Meta:
        table = "user_session"


class RecoveryCode(Model):
    """One of ten single-use two-factor recovery codes (I5), stored as a hash."""

    id = fields.BigIntField(primary_key=True)
    user = fields.ForeignKeyField("models.User", related_name="recovery_codes", on_delete=fields.CASCADE)
    code_hash = fields.CharField(max_length=64)
    used_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "recovery_code"


class RefreshToken(Model):
    """Refresh tokens: opaque, stored only as hashes, rotated on every use (T1)."""

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


class IdentityToken(Model):
    """A mailed, single-use token about a person's own login (I1–I3): proving the address
    (`verify`), resetting the password (`reset`), or moving the login to a new address
    (`email`, whose `email` is the new address). Only a hash of the token is stored."""

    id = fields.BigIntField(primary_key=True)
    user = fields.ForeignKeyField("models.User", related_name="identity_tokens", on_delete=fields.CASCADE)
    purpose = fields.CharField(max_length=16)
    # The address the token was mailed to; for an email change also the address it replaces.
    email = fields.CharField(max_length=254)
    previous_email = fields.CharField(max_length=254, null=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "identity_token"
