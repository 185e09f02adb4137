"""The worker's composition: which handler delivers which kind of outbox message, which
periodic jobs run (O1, O2), and the webhook dispatcher beside them (T5). Used by
`casebook worker`, and by `casebook serve` on the embedded SQLite default, which runs the
worker inside the server process."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import AsyncIterator

from api.metrics import Metrics
from domain.billing.catalog import Catalog
from domain.billing.renewal import renew_due
from domain.core.clock import utc_now
from domain.core.settings import Settings
from domain.exports.builder import export_handler, sweep
from domain.exports.service import EXPORT
from domain.outbox.mail import MAIL, mail_handler
from domain.outbox.worker import Handlers, Periodic, Worker
from domain.webhooks.dispatch import Dispatcher, Observer
from domain.webhooks.dispatch import prune as prune_deliveries

log = logging.getLogger("casebook.worker")


def handlers(settings: Settings) -> Handlers:
    return {MAIL: mail_handler(settings), EXPORT: export_handler(settings)}


class Workers:
    """The outbox worker and the webhook dispatcher, run side by side: webhooks have a
    loop of their own, so a slow partner endpoint never holds up mail or renewals."""

    def __init__(self, outbox: Worker, webhooks: Dispatcher) -> None:
        self.outbox = outbox
        self.webhooks = webhooks

    def wake(self) -> None:
        self.outbox.wake()
        self.webhooks.wake()

    async def drain(self) -> None:
        await self.outbox.drain()
        await self.webhooks.drain()
        await self.webhooks.close()

    async def run_periodic(self) -> None:
        await self.outbox.run_periodic()

    async def run(self, stop: asyncio.Event) -> None:
        await asyncio.gather(self.outbox.run(stop), self.webhooks.run(stop))


def build_worker(settings: Settings, catalog: Catalog, *, observer: Observer | None = None) -> Workers:
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

    outbox = Worker(handlers(settings), periodic=[Periodic("renewals", settings.renewal_check_seconds, renewals),
                                                  Periodic("prune webhook deliveries", 3600, prune_deliveries),
                                                  Periodic("expired exports", settings.export_sweep_seconds,
                                                           expired_exports)],
                    poll_seconds=settings.worker_poll_seconds, lease_seconds=settings.worker_lease_seconds)
    # A separate `casebook worker` process counts in METRICS_DIR's files, which the
    # server's /metrics adds up (same host); in-process, the server's own registry.
    webhooks = Dispatcher(settings, name=outbox.name, observer=observer or Metrics(settings.metrics_dir))
    return Workers(outbox, webhooks)


@contextlib.asynccontextmanager
async def running_worker(worker: Workers) -> AsyncIterator[Workers]:
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
