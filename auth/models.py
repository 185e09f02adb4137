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


class MachineCredential(Model):
    """A partner system's credential for one account (T4): a client id and a secret
    (stored as a hash), with its own scopes. It acts through a service user of its own,
    so everything it writes names it as the author (D5). Not a seat: it is not a person."""

    id = fields.BigIntField(primary_key=True)
    account_id = fields.BigIntField()
    name = fields.CharField(max_length=200)
    client_id = fields.CharField(max_length=64, unique=True)
    # The secret is 32 random bytes, so a plain SHA-256 is as strong as a slow hash here.
    secret_hash = fields.CharField(max_length=64)
    scopes = fields.CharField(max_length=255)
    service_user = fields.ForeignKeyField("models.User", related_name="machine_credentials", on_delete=fields.CASCADE)
    created_by_user_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField()
    rotated_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "machine_credential"


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
