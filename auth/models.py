"""Machine credentials of partner systems (T4)."""
from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


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
