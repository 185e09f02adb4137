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


class BillingPeriod(Model):
    """One row per period a subscription has opened: the first at sign-up, then one per
    renewal. Unique per (account, period start), so a renewal runs exactly once however
    many `casebook renew` processes race."""

    id = fields.BigIntField(primary_key=True)
    account_id = fields.BigIntField()
    period_start = fields.DateField()
    renews_on = fields.DateField()
    plan_code = fields.CharField(max_length=32)
    term = fields.CharField(max_length=16)
    seats = fields.IntField()
    tier = fields.CharField(max_length=16)
    price = fields.DecimalField(max_digits=14, decimal_places=2)
    # Why the renewal differs from what was scheduled (seats kept at the teammate count…).
    note = fields.TextField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "billing_period"
        unique_together = (("account_id", "period_start"),)


class Quote(Model):
    """A priced change, binding until it expires or the subscription changes (Q1, Q2).
    The requested terms are the whole target after renewal (pending changes included)."""

    id = fields.BigIntField(primary_key=True)
    account_id = fields.BigIntField()
    subscription_version = fields.IntField()
    plan_code = fields.CharField(max_length=32)
    term = fields.CharField(max_length=16)
    seats = fields.IntField()
    tier = fields.CharField(max_length=16)
    # The local day the proration was computed for, and the period it lies in.
    computed_for = fields.DateField()
    period_start = fields.DateField()
    renews_on = fields.DateField()
    currency = fields.CharField(max_length=3)
    due_now = fields.DecimalField(max_digits=14, decimal_places=2)
    price_per_period_after = fields.DecimalField(max_digits=14, decimal_places=2)
    expires_at = fields.DatetimeField()
    created_at = fields.DatetimeField()
    created_by_user_id = fields.BigIntField(null=True)

    class Meta:
        table = "quote"


class QuoteLine(Model):
    """One part of a quote. `effect`: "now" (charged on apply), "at_renewal" (scheduled),
    "withdrawn" (a pending change this quote takes back)."""

    id = fields.BigIntField(primary_key=True)
    account_id = fields.BigIntField()
    quote = fields.ForeignKeyField("models.Quote", related_name="lines", on_delete=fields.CASCADE)
    position = fields.IntField()
    change = fields.CharField(max_length=16)  # plan | tier | seats | term
    effect = fields.CharField(max_length=16)
    from_value = fields.CharField(max_length=32)
    to_value = fields.CharField(max_length=32)
    description = fields.CharField(max_length=300)
    explanation = fields.TextField()
    amount = fields.DecimalField(max_digits=14, decimal_places=2)
    effective_on = fields.DateField()
    remaining_days = fields.IntField(null=True)
    period_days = fields.IntField(null=True)
    # The exact proration as a fraction ("25/6"), for the S4 running total.
    exact = fields.CharField(max_length=100)

    class Meta:
        table = "quote_line"


class LedgerLine(Model):
    """An invoice line (Q4). Append-only: the database refuses updates and deletes.
    `kind` is "period" (a whole period's price) or "proration" (an increase, S4)."""

    id = fields.BigIntField(primary_key=True)
    account_id = fields.BigIntField()
    kind = fields.CharField(max_length=16)
    description = fields.CharField(max_length=300)
    quantity = fields.IntField()
    amount = fields.DecimalField(max_digits=14, decimal_places=2)
    currency = fields.CharField(max_length=3)
    period_start = fields.DateField()
    # Exclusive: the renewal date, like `renewsOn` (periods are half-open, S4).
    period_end = fields.DateField()
    quote_id = fields.BigIntField(null=True)
    exact = fields.CharField(max_length=100, null=True)
    explanation = fields.TextField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "ledger_line"


class ScheduledChange(Model):
    """A decrease or term change waiting for the renewal (S5); one per kind of change,
    so a later quote replaces what was pending for the same thing."""

    id = fields.BigIntField(primary_key=True)
    account_id = fields.BigIntField()
    change = fields.CharField(max_length=16)
    from_value = fields.CharField(max_length=32)
    to_value = fields.CharField(max_length=32)
    description = fields.CharField(max_length=300)
    effective_on = fields.DateField()
    quote_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "scheduled_change"
        unique_together = (("account_id", "change"),)


class QuoteApplication(Model):
    """An applied quote and the idempotency key it was applied with (Q3). The result is
    kept so the same key answers the same again."""

    id = fields.BigIntField(primary_key=True)
    account_id = fields.BigIntField()
    idempotency_key = fields.CharField(max_length=200)
    quote_id = fields.BigIntField(unique=True)
    charged = fields.DecimalField(max_digits=14, decimal_places=2)
    result = fields.JSONField()
    created_by_user_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "quote_application"
        unique_together = (("account_id", "idempotency_key"),)


class AccountDiscount(Model):
    """A special discount an operator granted (S7). The percent is kept as granted, so a
    later catalog change does not alter an agreement silently. Removal keeps the row."""

    id = fields.BigIntField(primary_key=True)
    account_id = fields.BigIntField()
    code = fields.CharField(max_length=32)
    name = fields.CharField(max_length=100)
    percent = fields.DecimalField(max_digits=5, decimal_places=2)
    # Exclusive: the discount applies to prices of days before this date.
    ends_on = fields.DateField(null=True)
    created_by_user_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField()
    removed_at = fields.DatetimeField(null=True)
    removed_by_user_id = fields.BigIntField(null=True)

    class Meta:
        table = "account_discount"


class TierChange(Model):
    """The active-client tier an account's subscription has from `effective_on` on (A6:
    a past month shows the cap it had). Written with every tier change — sign-up, an
    applied increase, a renewal taking a scheduled one — under the subscription lock.
    The tier of a day is the last row on or before it (by effective_on, then id)."""

    id = fields.BigIntField(primary_key=True)
    account_id = fields.BigIntField()
    tier = fields.CharField(max_length=16)
    effective_on = fields.DateField()
    # sign_up | quote | renewal (backfilled rows: period | quote)
    cause = fields.CharField(max_length=16)
    created_at = fields.DatetimeField()

    class Meta:
        table = "tier_change"
