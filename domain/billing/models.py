"""Subscription tables. The foundation creates one subscription per account at sign-up;
the billing area (quotes, ledger) extends this module."""
from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Subscription(Model):
    id = fields.BigIntField(primary_key=True)
    account = fields.OneToOneField("models.Account", related_name="subscription", on_delete=fields.CASCADE)
    plan_code = fields.CharField(max_length=32)
    term = fields.CharField(max_length=16)
    seats = fields.IntField()
    tier = fields.CharField(max_length=16)
    # The day of month the subscription started; periods follow it with month-end clamping (S3).
    anchor_day = fields.IntField()
    period_start = fields.DateField()
    renews_on = fields.DateField()
    cancels_on = fields.DateField(null=True)
    # S8: an operator-negotiated seat price; null means the plan's price.
    negotiated_seat_price = fields.DecimalField(max_digits=12, decimal_places=2, null=True)
    # Bumped on every change; a quote remembers the version it was computed against (Q2).
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "subscription"
