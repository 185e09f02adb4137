"""Dossier tables: the client file, its entries (versioned), measurements, assignments,
the access log, and the active-client counters. Every table carries `account_id`."""
from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Dossier(Model):
    id = fields.BigIntField(primary_key=True)
    account = fields.ForeignKeyField("models.Account", related_name="dossiers", on_delete=fields.CASCADE)
    client_name = fields.CharField(max_length=200)
    reference = fields.CharField(max_length=100, null=True)
    # The folded name and reference that search matches (D7; domain.dossiers.finding).
    search_text = fields.TextField(default="")
    date_of_birth = fields.DateField(null=True)
    free_fields = fields.JSONField(null=True)
    archived_at = fields.DatetimeField(null=True)
    # Live (not revoked) shares of this dossier; the G1 cap is enforced on it atomically.
    share_count = fields.IntField(default=0)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "dossier"


class DossierAssignment(Model):
    """A member assigned to a dossier (D2)."""

    id = fields.BigIntField(primary_key=True)
    account_id = fields.BigIntField()
    dossier = fields.ForeignKeyField("models.Dossier", related_name="assignments", on_delete=fields.CASCADE)
    membership = fields.ForeignKeyField("models.Membership", related_name="assignments", on_delete=fields.CASCADE)
    created_at = fields.DatetimeField()

    class Meta:
        table = "dossier_assignment"
        unique_together = (("dossier_id", "membership_id"),)


class Entry(Model):
    """A note, report, recommendation or meal plan. Its text lives in revisions (D5)."""

    id = fields.BigIntField(primary_key=True)
    account_id = fields.BigIntField()
    dossier = fields.ForeignKeyField("models.Dossier", related_name="entries", on_delete=fields.CASCADE)
    kind = fields.CharField(max_length=32)
    current_version = fields.IntField(default=1)
    created_at = fields.DatetimeField()

    class Meta:
        table = "entry"


class EntryRevision(Model):
    """One version of an entry; never updated or deleted (except by erasure of the dossier)."""

    id = fields.BigIntField(primary_key=True)
    account_id = fields.BigIntField()
    entry = fields.ForeignKeyField("models.Entry", related_name="revisions", on_delete=fields.CASCADE)
    version = fields.IntField()
    body = fields.TextField()
    author_user_id = fields.BigIntField()
    author_email = fields.CharField(max_length=254)
    written_at = fields.DatetimeField()

    class Meta:
        table = "entry_revision"
        unique_together = (("entry_id", "version"),)


class Measurement(Model):
    id = fields.BigIntField(primary_key=True)
    account_id = fields.BigIntField()
    dossier = fields.ForeignKeyField("models.Dossier", related_name="measurements", on_delete=fields.CASCADE)
    metric = fields.CharField(max_length=100)
    value = fields.DecimalField(max_digits=18, decimal_places=6)
    unit = fields.CharField(max_length=32)
    measured_at = fields.DatetimeField()
    author_user_id = fields.BigIntField()
    author_email = fields.CharField(max_length=254)
    created_at = fields.DatetimeField()

    class Meta:
        table = "measurement"


class DossierRead(Model):
    """Who read which dossier's content, when (P2). Kept after the dossier is erased."""

    id = fields.BigIntField(primary_key=True)
    account_id = fields.BigIntField()
    dossier_id = fields.BigIntField()
    user_id = fields.BigIntField()
    read_at = fields.DatetimeField()

    class Meta:
        table = "dossier_read"


class ActiveMonth(Model):
    """One row per account and month: the count the A3 cap is checked against. The
    conditional increment on this row is what serialises racing activations (A5)."""

    id = fields.BigIntField(primary_key=True)
    account_id = fields.BigIntField()
    month = fields.CharField(max_length=7)
    count = fields.IntField(default=0)

    class Meta:
        table = "active_month"
        unique_together = (("account_id", "month"),)


class ActiveDossier(Model):
    """A dossier active in a month (A1). Unique per (account, month, dossier)."""

    id = fields.BigIntField(primary_key=True)
    account_id = fields.BigIntField()
    month = fields.CharField(max_length=7)
    dossier_id = fields.BigIntField()
    first_written_at = fields.DatetimeField()

    class Meta:
        table = "active_dossier"
        unique_together = (("account_id", "month", "dossier_id"),)
