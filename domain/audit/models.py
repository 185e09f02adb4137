"""The append-only audit log (P1). The database refuses updates and deletes of it."""
from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class AuditEvent(Model):
    id = fields.BigIntField(primary_key=True)
    # Null for events outside any account (a failed sign-in with an unknown email).
    account_id = fields.BigIntField(null=True)
    actor_user_id = fields.BigIntField(null=True)
    action = fields.CharField(max_length=64)
    subject = fields.CharField(max_length=128, null=True)
    detail = fields.JSONField(null=True)
    request_id = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "audit_event"
