"""The outbox (O1, O5): what a write announces — mail, webhook deliveries, export jobs —
stored in the write's own transaction and delivered afterwards by the worker: one queue,
one claim, one lease for every kind."""
from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class OutboxMessage(Model):
    """One thing to deliver. `status` is pending until a delivery succeeds (delivered)
    or retries run out (failed). A worker holds a message while `leased_until` is ahead;
    a worker that dies lets its lease run out and another takes the message up."""

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharField(max_length=32)
    # The account the message belongs to, when it belongs to one (events, exports).
    account_id = fields.BigIntField(null=True)
    payload = fields.JSONField()
    status = fields.CharField(max_length=16, default="pending")
    attempts = fields.IntField(default=0)
    available_at = fields.DatetimeField()
    leased_until = fields.DatetimeField(null=True)
    leased_by = fields.CharField(max_length=64, null=True)
    last_error = fields.TextField(null=True)
    created_at = fields.DatetimeField()
    delivered_at = fields.DatetimeField(null=True)
    # Messages of one lane (a webhook endpoint) are out at most LANE_LIMIT at a time, so
    # one slow receiver never takes every slot of the worker (O5).
    lane = fields.CharField(max_length=64, null=True)

    class Meta:
        table = "outbox_message"
