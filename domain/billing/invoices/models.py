"""Invoice tables. Invoices, their lines and payments are append-only like the ledger
(the database refuses updates and deletes); the billing profile and the yearly number
counter are the only rows that change."""
from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class BillingProfile(Model):
    """Who an account's invoices are addressed to (B1). Invoices copy it when issued, so
    a later change never alters an invoice already issued."""

    id = fields.BigIntField(primary_key=True)
    account_id = fields.BigIntField(unique=True)
    legal_name = fields.CharField(max_length=200)
    address_lines = fields.JSONField(default=list)
    postal_code = fields.CharField(max_length=20, null=True)
    city = fields.CharField(max_length=100, null=True)
    country = fields.CharField(max_length=2)
    email = fields.CharField(max_length=254)
    vat_number = fields.CharField(max_length=20, null=True)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "billing_profile"


class InvoiceCounter(Model):
    """The last number issued in a calendar year (B3). Taken by an update in the charge's
    transaction: the row lock orders concurrent charges, a rollback gives the number back."""

    year = fields.IntField(primary_key=True, generated=False)
    last_number = fields.IntField()

    class Meta:
        table = "invoice_counter"


class Invoice(Model):
    """An invoice or credit note as issued (B2–B6). `seller` and `buyer` are the parties'
    details as they were that day; amounts are the totals of the lines (negative on a
    credit note); `vat_breakdown` is one {rate, net, vat} per rate."""

    id = fields.BigIntField(primary_key=True)
    account_id = fields.BigIntField()
    number = fields.CharField(max_length=32, unique=True)
    year = fields.IntField()
    sequence = fields.IntField()
    kind = fields.CharField(max_length=16)  # INVOICE | CREDIT_NOTE
    issued_on = fields.DateField()
    currency = fields.CharField(max_length=3)
    seller = fields.JSONField()
    buyer = fields.JSONField()
    vat_scheme = fields.CharField(max_length=16)  # domestic | destination | reverse_charge | outside_eu
    reverse_charge = fields.BooleanField()
    vat_breakdown = fields.JSONField()
    net_total = fields.DecimalField(max_digits=14, decimal_places=2)
    vat_total = fields.DecimalField(max_digits=14, decimal_places=2)
    gross_total = fields.DecimalField(max_digits=14, decimal_places=2)
    # The service's dates: the first day and the day after the last (half-open, like periods).
    service_start = fields.DateField()
    service_end = fields.DateField()
    corrects_id = fields.BigIntField(null=True)
    reason = fields.TextField(null=True)
    created_by_user_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField()
    # The account's language when issued (L1): its PDF stays in it (B5). Null before 0023.
    locale = fields.CharField(max_length=2, null=True)

    class Meta:
        table = "invoice"
        unique_together = (("year", "sequence"),)


class InvoiceLine(Model):
    """One line of an invoice: a ledger line of its charge, or a credit note's correction."""

    id = fields.BigIntField(primary_key=True)
    invoice_id = fields.BigIntField()
    account_id = fields.BigIntField()
    position = fields.IntField()
    ledger_line_id = fields.BigIntField(null=True)
    description = fields.CharField(max_length=300)
    period_start = fields.DateField(null=True)
    period_end = fields.DateField(null=True)  # exclusive, like the ledger's
    quantity = fields.IntField()
    net = fields.DecimalField(max_digits=14, decimal_places=2)
    vat_rate = fields.DecimalField(max_digits=5, decimal_places=2)

    class Meta:
        table = "invoice_line"


class InvoicePayment(Model):
    """An operator's record that an invoice was paid; kept apart so the invoice itself
    never changes. One per invoice."""

    id = fields.BigIntField(primary_key=True)
    invoice_id = fields.BigIntField(unique=True)
    account_id = fields.BigIntField()
    paid_on = fields.DateField()
    recorded_by_user_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "invoice_payment"
