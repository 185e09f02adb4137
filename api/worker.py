"""The worker's composition: which handler delivers which kind of outbox message, and
which periodic jobs run (O1, O2). Used by `casebook worker`, and by `casebook serve` on
the embedded SQLite default, which runs the worker inside the server process."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import AsyncIterator

from domain.billing.catalog import Catalog
from domain.billing.renewal import renew_due
from domain.core.clock import utc_now
from domain.core.settings import Settings
from domain.events import EVENT, event_handler
from domain.exports.builder import export_handler, sweep
from domain.exports.service import EXPORT
from domain.outbox.mail import MAIL, mail_handler
from domain.outbox.worker import Handlers, Periodic, Worker

log = logging.getLogger("casebook.worker")


def handlers(settings: Settings) -> Handlers:
    return {MAIL: mail_handler(settings), EVENT: event_handler(settings), EXPORT: export_handler(settings)}


def build_worker(settings: Settings, catalog: Catalog) -> Worker:
    async def renewals() -> None:
        # Every subscription renews once its account's local day has reached its renewal
        # date; run often, so local midnight is met in every time zone (O2).
        report = await renew_due(catalog, now=utc_now())
        if report.renewed or report.failed:
            log.info("renewals: %s period(s) opened, failed accounts: %s", report.renewed, report.failed)

    async def expired_exports() -> None:
        # D8: an export's file is deleted once its download link has expired.
        deleted = await sweep(settings)
        if deleted:
            log.info("exports: %s expired file(s) deleted", deleted)

    return Worker(handlers(settings), periodic=[Periodic("renewals", settings.renewal_check_seconds, renewals),
                                                Periodic("expired exports", settings.export_sweep_seconds,
                                                         expired_exports)],
                  poll_seconds=settings.worker_poll_seconds, lease_seconds=settings.worker_lease_seconds)


@contextlib.asynccontextmanager
async def running_worker(worker: Worker) -> AsyncIterator[Worker]:
    """Run `worker` in the background of the current event loop until the block ends."""
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop), name="casebook-worker")
    try:
        yield worker
    finally:
        stop.set()
        try:
            await asyncio.wait_for(task, timeout=30)
        except asyncio.TimeoutError:
            task.cancel()
