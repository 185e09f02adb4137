"""An export (D8): one dossier as JSON or PDF, or a whole account as a ZIP archive, built
by the worker into a file under EXPORT_DIR that expires."""
from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Export(Model):
    id = fields.BigIntField(primary_key=True)
    # The account whose data it holds (the dossier's account for a dossier export).
    account_id = fields.BigIntField()
    kind = fields.CharField(max_length=16)      # DOSSIER | ACCOUNT
    format = fields.CharField(max_length=8)     # JSON | PDF | ZIP
    status = fields.CharField(max_length=16)    # PENDING | READY | FAILED
    dossier_id = fields.BigIntField(null=True)
    # The one person (or machine credential) who may see and download it.
    requested_by_user_id = fields.BigIntField()
    requested_by_email = fields.CharField(max_length=254)
    # What the requester could see when asking; downloading re-checks it (D3, P2).
    includes_shares = fields.BooleanField()
    includes_access_log = fields.BooleanField()
    # An account archive holds the dossiers that existed when it was asked for.
    dossier_id_limit = fields.BigIntField(null=True)
    # The random part of `downloadUrl`: a path nobody can guess.
    download_key = fields.CharField(max_length=64, unique=True)
    file_name = fields.CharField(max_length=200, null=True)
    size_bytes = fields.BigIntField(null=True)
    dossier_count = fields.IntField(null=True)
    # A worker building it holds it until then (an archive of 20,000 dossiers takes a while).
    build_lease_until = fields.DatetimeField(null=True)
    error = fields.CharField(max_length=500, null=True)
    # Business time of the request (what `createdAt` shows).
    created_at = fields.DatetimeField()
    # Real time: when it was asked for, became ready, stops being downloadable, was removed.
    requested_at = fields.DatetimeField()
    ready_at = fields.DatetimeField(null=True)
    expires_at = fields.DatetimeField(null=True)
    file_deleted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "export"
