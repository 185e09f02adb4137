"""Asking for an export, and who may see and download one (D8, S9, P1, P2, T4).

Anyone who may read a dossier may export it; an owner may export the whole account, also
after cancellation (S9: exporting is reading, so no `writing_account` check here).
Machine credentials export dossiers, never the account archive. The request is one
transaction: the export row, one access-log row (P2) for every dossier it will contain,
an audit event (P1), and the outbox message that has the worker build it (O1). A refusal
writes nothing.

An export belongs to the person (or machine credential) who asked for it: nobody else
sees it, and they only while they still may read what it holds — a revoked share or a
lost role ends access to the file on the next request, like the dossier itself (G6).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from auth import policy
from domain.audit.service import AuditAction, record
from domain.core import account_clock
from domain.core.actor import Actor
from infra.db import execute, transaction
from domain.core.errors import InvalidInput
from domain.core.ids import global_id
from domain.dossiers.access import dossier_access, visible_dossier
from domain.exports.models import Export
from domain.outbox.queue import enqueue

EXPORT = "export"  # the outbox kind the worker builds
DOSSIER, ACCOUNT = "DOSSIER", "ACCOUNT"
JSON, PDF, ZIP = "JSON", "PDF", "ZIP"
PENDING, READY, FAILED = "PENDING", "READY", "FAILED"
DOSSIER_FORMATS = (JSON, PDF)
ACCOUNT_FORMATS = (ZIP,)
# Exports one person may have waiting at once: building is work for the worker and disk.
MAX_PENDING = 10
MEDIA_TYPES = {JSON: "application/json", PDF: "application/pdf", ZIP: "application/zip"}
EXTENSIONS = {JSON: "json", PDF: "pdf", ZIP: "zip"}


def download_path(export: Export) -> str:
    """`downloadUrl`: a path under the service with a random key (not the export's id)."""
    return f"/exports/{export.download_key}"


def downloadable(export: Export, now: datetime) -> bool:
    """Ready and not expired as of `now`, the account's business time (O4)."""
    return (export.status == READY and export.file_name is not None and export.file_deleted_at is None
            and export.expires_at is not None and export.expires_at > now)


async def expiry_now(export: Export, actor: Actor | None, now: datetime) -> datetime:
    """The time an export's expiry is judged at: its account's business time (O4) — the
    request's own when it acts in that account, else that account's clock (a guest's
    download of a practice's export follows the practice's clock)."""
    if actor is not None and actor.account_id == export.account_id:
        return now
    return await account_clock.business_now(export.account_id)


async def _pending_for(actor: Actor) -> list[Export]:
    return await Export.filter(requested_by_user_id=actor.user_id, status=PENDING).order_by("id").limit(MAX_PENDING)


def _same_pending(pending: list[Export], kind: str, fmt: str, account_id: int, dossier_id: int | None) -> Export | None:
    """Asking again for what is still being built answers the export already on its way."""
    for export in pending:
        if (export.kind, export.format, export.account_id, export.dossier_id) == (kind, fmt, account_id, dossier_id):
            return export
    if len(pending) >= MAX_PENDING:
        raise InvalidInput(f"{MAX_PENDING} of your exports are still being prepared; wait until they are ready.",
                           field=("format",))
    return None


async def request_dossier_export(actor: Actor, dossier_id: int, fmt: str, *, now: datetime,
                                 security_now: datetime) -> Export:
    """Export one dossier as JSON or PDF (D8). Archived dossiers export too (D6)."""
    if fmt not in DOSSIER_FORMATS:
        raise InvalidInput("A dossier exports as JSON or PDF.", field=("format",))
    async with transaction() as conn:
        access = await visible_dossier(actor, dossier_id)
        dossier = access.dossier
        existing = _same_pending(await _pending_for(actor), DOSSIER, fmt, dossier.account_id, dossier.id)
        if existing is not None:
            return existing
        export = await _create(actor, DOSSIER, fmt, dossier.account_id, now=now, security_now=security_now,
                               dossier_id=dossier.id, shares=access.manages_shares,
                               # T4: a machine credential never reads who read (dossier: manage).
                               access_log=access.reads_access_log)
        await execute(conn, "INSERT INTO dossier_read (account_id, dossier_id, user_id, read_at) "
                            "VALUES ($1, $2, $3, $4)", [dossier.account_id, dossier.id, actor.user_id, now])
        await _announce(export, actor, now)
        return export


async def request_account_export(actor: Actor, fmt: str, *, now: datetime, security_now: datetime) -> Export:
    """Every dossier of the account, with the ledger, as one ZIP archive: owners, also
    after cancellation (S9); never a machine credential (T4)."""
    policy.acting_account(actor, "account", "export")
    if fmt not in ACCOUNT_FORMATS:
        raise InvalidInput("An account exports as a ZIP archive.", field=("format",))
    async with transaction() as conn:
        existing = _same_pending(await _pending_for(actor), ACCOUNT, fmt, actor.account_id, None)
        if existing is not None:
            return existing
        _, rows = await execute(conn, "SELECT MAX(id) AS last FROM dossier WHERE account_id = $1", [actor.account_id])
        export = await _create(actor, ACCOUNT, fmt, actor.account_id, now=now, security_now=security_now,
                               shares=True, access_log=True, dossier_id_limit=rows[0]["last"] or 0)
        # P2 for every dossier the archive holds, in one statement however many there are.
        await execute(conn, "INSERT INTO dossier_read (account_id, dossier_id, user_id, read_at) "
                            "SELECT account_id, id, $1, $2 FROM dossier WHERE account_id = $3 AND id <= $4",
                      [actor.user_id, now, actor.account_id, export.dossier_id_limit])
        await _announce(export, actor, now)
        return export


async def _create(actor: Actor, kind: str, fmt: str, account_id: int, *, now: datetime, security_now: datetime,
                  shares: bool, access_log: bool, dossier_id: int | None = None,
                  dossier_id_limit: int | None = None) -> Export:
    return await Export.create(
        account_id=account_id, kind=kind, format=fmt, status=PENDING, dossier_id=dossier_id,
        requested_by_user_id=actor.user_id, requested_by_email=actor.email, includes_shares=shares,
        includes_access_log=access_log, dossier_id_limit=dossier_id_limit,
        download_key=secrets.token_urlsafe(32), created_at=now, requested_at=security_now)


async def _announce(export: Export, actor: Actor, now: datetime) -> None:
    detail = {"kind": export.kind, "format": export.format}
    if export.dossier_id is not None:
        detail["dossierId"] = global_id("Dossier", export.dossier_id)
    await record(AuditAction.EXPORT_REQUESTED, now=now, account_id=export.account_id, actor_user_id=actor.user_id,
                 subject=f"export:{export.id}", detail=detail)
    await enqueue(EXPORT, {"exportId": export.id}, account_id=export.account_id)


async def may_read(actor: Actor, export: Export) -> bool:
    """The export's own requester, while they may still read all it holds (D4: anyone
    else is answered as if it did not exist)."""
    if export.requested_by_user_id != actor.user_id:
        return False
    if export.kind == ACCOUNT:
        return policy.may(actor, "account", "export", policy.Facts(export.account_id))
    access = await dossier_access(actor, export.dossier_id) if export.dossier_id is not None else None
    if access is None:
        return False
    if export.includes_access_log and not access.reads_access_log:
        return False
    return access.manages_shares or not export.includes_shares


async def visible_export(actor: Actor, export_id: int) -> Export | None:
    export = await Export.get_or_none(id=export_id)
    return export if export is not None and await may_read(actor, export) else None


@dataclass(frozen=True)
class Download:
    path: Path
    media_type: str
    file_name: str


async def open_download(actor: Actor, key: str, *, export_dir: str, now: datetime,
                        security_now: datetime) -> Download | None:
    """The file behind `/exports/<key>` for this actor, or None: a key nobody holds,
    another person's export, one they may no longer read, not ready, expired or removed
    are all answered alike. A download is audited (P1)."""
    export = await Export.get_or_none(download_key=key)
    if export is None or not downloadable(export, await expiry_now(export, actor, now)) or \
            not await may_read(actor, export):
        return None
    path = Path(export_dir) / export.file_name
    if not path.is_file():
        return None
    async with transaction():
        await record(AuditAction.EXPORT_DOWNLOADED, now=now, account_id=export.account_id,
                     actor_user_id=actor.user_id, subject=f"export:{export.id}",
                     detail={"kind": export.kind, "format": export.format})
    return Download(path, MEDIA_TYPES[export.format], file_name(export))


def file_name(export: Export) -> str:
    """What the browser saves it as: no client name in it (it may end up in logs)."""
    what = global_id("Dossier", export.dossier_id) if export.kind == DOSSIER else global_id("Account", export.account_id)
    stamp = (export.ready_at or export.requested_at).strftime("%Y%m%d-%H%M%S")
    return f"casebook-{export.kind.lower()}-{what}-{stamp}.{EXTENSIONS[export.format]}"

