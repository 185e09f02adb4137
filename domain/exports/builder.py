"""Building exports in the worker, and removing them when they expire (D8, O1).

The outbox message `export` names an export; its handler builds the file under
EXPORT_DIR (written as `.name.part`, renamed when complete, readable by the service's
user only) and marks the export READY, with an expiry EXPORT_TTL_SECONDS ahead; or
FAILED after MAX_ATTEMPTS. An account archive of 20,000 dossiers takes minutes, longer
than an outbox lease, so the export row has a build lease of its own, renewed as the
build goes: a second worker that picks up the message meanwhile leaves the build alone
and retries later, by which time the export is READY and its message done.

The periodic `sweep` deletes expired files, files of erased dossiers, stale partial
files, and fails exports that were never built.
"""
from __future__ import annotations

import asyncio
import logging
import os
import secrets
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tortoise import connections
from tortoise.expressions import Q

from domain.core import account_clock
from infra.clock import utc_now
from infra.db import execute
from domain.core.ids import global_id
from infra.settings import Settings
from domain.exports import documents
from domain.exports.archive import write_archive
from domain.exports.content import BatchReader, Parts, dossier_profiles
from domain.exports.labels import dossier_labels
from domain.exports.models import Export
from domain.exports.pdf import DossierContent, render
from domain.exports.service import ACCOUNT, EXTENSIONS, FAILED, JSON, PENDING, READY
from domain.outbox.queue import Claimed

log = logging.getLogger("casebook.exports")
MAX_ATTEMPTS = 3
BUILD_LEASE = timedelta(minutes=5)
# Exports never built (their message lost or failed for good) are failed after this.
STALE_PENDING = timedelta(days=1)


class BuildInProgress(Exception):
    """Another worker is building this export; the outbox tries again later."""


class Gone(Exception):
    """What the export was of no longer exists (the dossier was erased)."""


def export_dir(settings: Settings) -> Path:
    directory = Path(settings.export_dir)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    return directory


async def _lease(export_id: int) -> bool:
    now = utc_now()
    taken = await Export.filter(Q(build_lease_until__isnull=True) | Q(build_lease_until__lt=now),
                                id=export_id, status=PENDING).update(build_lease_until=now + BUILD_LEASE)
    return taken == 1


class _Heartbeat:
    """Renews the build lease now and then while a long build runs."""

    def __init__(self, export_id: int) -> None:
        self.export_id, self.at = export_id, time.monotonic()

    async def __call__(self) -> None:
        if time.monotonic() - self.at > BUILD_LEASE.total_seconds() / 5:
            self.at = time.monotonic()
            await Export.filter(id=self.export_id, status=PENDING).update(build_lease_until=utc_now() + BUILD_LEASE)


async def _practice(conn: Any, account_id: int) -> dict[str, Any]:
    _, rows = await execute(conn, "SELECT id, name, time_zone, currency, locale FROM account WHERE id = $1",
                            [account_id])
    row = rows[0]
    return {"id": global_id("Account", row["id"]), "name": row["name"], "timeZone": row["time_zone"],
            "currency": row["currency"], "locale": row["locale"]}


def _about(export: Export) -> dict[str, Any]:
    return {"exportId": global_id("Export", export.id),
            "requestedBy": documents.author(export.requested_by_user_id, export.requested_by_email)}


async def build(settings: Settings, export_id: int) -> None:
    """Build one export's file; nothing to do when it is no longer pending."""
    export = await Export.get_or_none(id=export_id)
    if export is None or export.status != PENDING:
        return
    if not await _lease(export.id):
        raise BuildInProgress(f"export {export.id} is being built by another worker")
    directory = export_dir(settings)
    name = f"{export.id}-{secrets.token_hex(12)}.{EXTENSIONS[export.format]}"
    partial, final = directory / f".{name}.part", directory / name
    conn = connections.get("default")
    generated_at = utc_now()
    try:
        practice = await _practice(conn, export.account_id)
        if export.kind == ACCOUNT:
            count = await write_archive(conn, export, practice, partial, generated_at, _Heartbeat(export.id))
        elif export.format == JSON:
            count = await _write_dossier_json(conn, export, practice, partial, generated_at)
        else:
            content = await dossier_content(conn, export)
            data = await asyncio.to_thread(render, content, practice=practice["name"],
                                           time_zone=practice["timeZone"], generated_at=generated_at,
                                           export_ref=global_id("Export", export.id), locale=practice["locale"])
            await asyncio.to_thread(_write_private, partial, data)
            count = 1
        os.replace(partial, final)
    except BaseException as error:
        partial.unlink(missing_ok=True)
        if isinstance(error, Exception):
            # Let the next attempt start at once (a cancelled build's lease just runs out).
            await Export.filter(id=export.id, status=PENDING).update(build_lease_until=None)
        raise
    # Ready and expiring by the account's business clock (O4): a test clock moved past
    # `expiresAt` expires the link, as the wall clock does in production.
    ready_at = await account_clock.business_now(export.account_id)
    expires_at = ready_at + timedelta(seconds=settings.export_ttl_seconds)
    done = await Export.filter(id=export.id, status=PENDING).update(
        status=READY, file_name=name, size_bytes=final.stat().st_size, dossier_count=count, ready_at=ready_at,
        expires_at=expires_at, build_lease_until=None)
    if not done:
        final.unlink(missing_ok=True)


def _write_private(path: Path, data: bytes) -> None:
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as out:
        out.write(data)


def _parts(export: Export) -> Parts:
    return Parts(shares=export.includes_shares, access_log=export.includes_access_log)


async def _one_profile(conn: Any, export: Export) -> dict:
    rows = await dossier_profiles(conn, export.account_id, [export.dossier_id])
    if not rows:
        raise Gone(f"dossier {export.dossier_id} no longer exists")
    return rows[0]


async def _write_dossier_json(conn: Any, export: Export, practice: dict, path: Path, generated_at: datetime) -> int:
    row = await _one_profile(conn, export)
    reader = BatchReader(conn, export.account_id, [row["id"]], _parts(export))
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as out:
        write = documents.Writer(out.write)
        await _dossier_document(write, row, reader, practice, export, generated_at)
        write.flush()
    return 1


async def _dossier_document(write: documents.Writer, row: dict, reader: BatchReader, practice: dict,
                            export: Export, generated_at: datetime) -> None:
    # A dossier exported alone carries the words a person reads for its fields (L1);
    # in an account archive they are in the manifest, once.
    write(documents.header(documents.DOSSIER_FORMAT, generated_at, practice, **_about(export),
                           labels=dossier_labels(practice["locale"])))
    write('  "dossier": ')
    await documents.write_dossier(write, row, reader)
    write("\n}\n")


async def dossier_content(conn: Any, export: Export) -> DossierContent:
    """One dossier whole, for the PDF (a person's file, not an account's worth)."""
    row = await _one_profile(conn, export)
    reader = BatchReader(conn, export.account_id, [row["id"]], _parts(export))
    content = DossierContent(documents.profile(row))
    by_entry: dict[int, dict] = {}
    async for item in reader.versions.of(row["id"]):
        entry = by_entry.get(item["e_id"])
        if entry is None:
            entry = by_entry[item["e_id"]] = {**documents.entry_head(item), "versions": []}
            content.entries.append(entry)
        entry["versions"].append(documents.version(item))
    content.measurements = [documents.measurement(item) async for item in reader.measurements.of(row["id"])]
    if reader.shares is not None:
        content.shares = [documents.share(item) async for item in reader.shares.of(row["id"])]
    if reader.reads is not None:
        content.access_log = [documents.read(item) async for item in reader.reads.of(row["id"])]
    return content


async def mark_failed(export_id: int, reason: str) -> None:
    await Export.filter(id=export_id, status=PENDING).update(status=FAILED, error=reason[:500],
                                                            build_lease_until=None)


def export_handler(settings: Settings):  # noqa: ANN201 - a worker Handler
    async def deliver(message: Claimed) -> None:
        export_id = int(message.payload["exportId"])
        try:
            await build(settings, export_id)
        except BuildInProgress:
            raise
        except Gone as error:
            await mark_failed(export_id, str(error))
        except Exception as error:  # noqa: BLE001 - retried, then failed for good
            if message.attempts < MAX_ATTEMPTS:
                raise
            log.exception("export %s failed after %s attempts", export_id, message.attempts)
            await mark_failed(export_id, f"{type(error).__name__}: {error}")

    # An archive of 20,000 dossiers takes minutes; the worker's default is for mail.
    deliver.timeout = settings.export_build_timeout_seconds  # type: ignore[attr-defined]
    return deliver


async def sweep(settings: Settings, *, now: datetime | None = None) -> int:
    """Delete the files of expired exports and of erased dossiers, stale partial files;
    fail exports never built. Returns the number of files deleted."""
    now = now or utc_now()
    directory = Path(settings.export_dir)
    # Expired by each account's clock (O4): a test clock may be ahead of the wall or behind it.
    clocks = await account_clock.test_clocks()
    latest = max([now, *clocks.values()])
    expired = [export for export in await Export.filter(file_name__isnull=False, file_deleted_at__isnull=True,
                                                        expires_at__lte=latest)
               if export.expires_at <= clocks.get(export.account_id, now)]
    _, erased = await execute(connections.get("default"),
                              "SELECT x.id FROM export x WHERE x.kind = 'DOSSIER' AND x.file_name IS NOT NULL "
                              "AND x.file_deleted_at IS NULL AND NOT EXISTS "
                              "(SELECT 1 FROM dossier d WHERE d.id = x.dossier_id)")
    gone = {row["id"] for row in erased}
    doomed = expired + [export for export in await Export.filter(id__in=list(gone)) if export.id not in
                        {e.id for e in expired}]
    for export in doomed:
        (directory / export.file_name).unlink(missing_ok=True)
    if doomed:
        await Export.filter(id__in=[export.id for export in doomed]).update(file_deleted_at=now)
    await Export.filter(status=PENDING, requested_at__lt=now - STALE_PENDING).update(
        status=FAILED, error="not built in time", build_lease_until=None)
    if directory.is_dir():
        cutoff = time.time() - STALE_PENDING.total_seconds()
        for partial in directory.glob(".*.part"):
            if partial.stat().st_mtime < cutoff:
                partial.unlink(missing_ok=True)
    return len(doomed)
