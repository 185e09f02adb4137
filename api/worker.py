"""The worker's composition: which handler delivers which kind of outbox message — mail,
archives and webhook deliveries on one queue (O5) — and which periodic jobs run (O1, O2). Used by
`casebook worker`, and by `casebook serve` on the embedded SQLite default, which runs the
worker inside the server process."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import AsyncIterator

from adapters.mail import mail_transport
from adapters.webhook_http import webhook_post
from api.metrics import Metrics
from domain.billing.catalog import Catalog
from domain.billing.renewal import renew_due
from infra.settings import Settings
from domain.exports.builder import export_handler, sweep
from domain.exports.service import EXPORT
from domain.outbox.mail import MAIL, MailTransport, mail_handler
from domain.outbox.worker import Handlers, Periodic, Worker
from domain.webhooks.dispatch import Observer, Post, webhook_handler
from domain.webhooks.dispatch import prune as prune_deliveries
from domain.webhooks.fanout import WEBHOOK

log = logging.getLogger("casebook.worker")


def handlers(settings: Settings, *, observer: Observer | None = None, mail: MailTransport | None = None,
             post: Post | None = None) -> Handlers:
    """Every kind of message the one queue carries (O5), and who delivers it: the
    adapters MAIL_URL and the network give, unless a caller hands in others."""
    return {MAIL: mail_handler(settings, mail or mail_transport(settings.mail_url)),
            EXPORT: export_handler(settings),
            WEBHOOK: webhook_handler(settings, post or webhook_post(settings), observer=observer)}


def build_worker(settings: Settings, catalog: Catalog, *, observer: Observer | None = None) -> Worker:
    async def renewals() -> None:
        # Every subscription renews once its account's local day has reached its renewal
        # date; run often, so local midnight is met in every time zone (O2). Each account
        # by its own clock: a test clock where it has one (O4).
        report = await renew_due(catalog)
        if report.renewed or report.failed:
            log.info("renewals: %s period(s) opened, failed accounts: %s", report.renewed, report.failed)

    async def expired_exports() -> None:
        # D8: an export's file is deleted once its download link has expired.
        deleted = await sweep(settings)
        if deleted:
            log.info("exports: %s expired file(s) deleted", deleted)

    # A separate `casebook worker` process leaves its figures in METRICS_DIR, where the
    # server's /metrics adds them up (same host); in-process, the server's own registry.
    figures = observer or Metrics(settings.metrics_dir)
    # One loop with WEBHOOK_CONCURRENCY slots: a slow partner endpoint holds one slot
    # (and its lane at most four), never mail or renewals.
    return Worker(handlers(settings, observer=figures),
                  periodic=[Periodic("renewals", settings.renewal_check_seconds, renewals),
                            Periodic("prune webhook deliveries", 3600, prune_deliveries),
                            Periodic("expired exports", settings.export_sweep_seconds, expired_exports)],
                  poll_seconds=settings.worker_poll_seconds, lease_seconds=settings.worker_lease_seconds,
                  concurrency=settings.webhook_concurrency)


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
