"""The worker: delivers what the outbox holds and runs the periodic jobs (renewals at
each account's local midnight, pruning). Safe to run on several hosts at once: claims are
leased and skip locked rows, and every periodic job is idempotent.

Each kind of message has a handler (`Handlers`); a handler returns when the message is
delivered and raises when it is not (`PermanentFailure` when retrying cannot help). A
handler that hangs is stopped at `handler_timeout` and retried like any failure.
"""
from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Awaitable, Callable

from domain.core.clock import utc_now
from domain.outbox import queue
from domain.outbox.queue import Claimed

log = logging.getLogger("casebook.worker")

Handler = Callable[[Claimed], Awaitable[None]]
Handlers = dict[str, Handler]
KEEP_DELIVERED = timedelta(days=7)


class PermanentFailure(Exception):
    """Retrying will not help (say, an address the mail server refuses for good)."""


@dataclass
class Periodic:
    """A job run every `every_seconds` (first run at start-up)."""

    name: str
    every_seconds: float
    run: Callable[[], Awaitable[Any]]
    due_at: float = 0.0


@dataclass
class WorkerStats:
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


def worker_name() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Worker:
    def __init__(self, handlers: Handlers, *, periodic: list[Periodic] | None = None, batch: int = 20,
                 lease_seconds: float = 120.0, poll_seconds: float = 1.0, handler_timeout: float = 30.0,
                 name: str | None = None) -> None:
        self.handlers = handlers
        self.periodic = list(periodic or [])
        self.periodic.append(Periodic("prune delivered messages", 3600, self._prune))
        self.batch = batch
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.handler_timeout = handler_timeout
        self.name = name or worker_name()
        self.stats = WorkerStats()
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look at the queue now instead of at the next poll (in-process writers call it)."""
        self._wake.set()

    async def deliver_due(self, stop: asyncio.Event | None = None) -> int:
        """Claim one batch of due messages and deliver them; the number handled. Once
        `stop` is set, the delivery under way finishes and the rest of the batch is left
        leased, for `run` to hand back (a rolling deploy does not wait for a whole batch)."""
        claimed = await queue.claim(self.name, limit=self.batch, lease_seconds=self.lease_seconds)
        for message in claimed:
            if stop is not None and stop.is_set():
                break
            await self._deliver(message)
        return len(claimed)

    async def drain(self, *, rounds: int = 100) -> None:
        """Deliver until nothing is due (tests, and `casebook worker --once`)."""
        for _ in range(rounds):
            if not await self.deliver_due():
                return

    async def _deliver(self, message: Claimed) -> None:
        handler = self.handlers.get(message.kind)
        try:
            if handler is None:
                raise PermanentFailure(f"no handler for messages of kind {message.kind!r}")
            # A handler may say how long it needs (an account archive takes minutes).
            async with asyncio.timeout(getattr(handler, "timeout", self.handler_timeout)):
                await handler(message)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - any failure of a delivery is retried
            permanent = isinstance(error, PermanentFailure)
            reason = f"{type(error).__name__}: {error}"
            status = await queue.attempt_failed(message, self.name, reason, permanent=permanent)
            if status == queue.FAILED:
                self.stats.failed += 1
                log.error("outbox message %s (%s) failed for good after %s attempts: %s",
                          message.id, message.kind, message.attempts, reason)
            else:
                self.stats.retried += 1
                log.warning("outbox message %s (%s) attempt %s failed, will retry: %s",
                            message.id, message.kind, message.attempts, reason)
            return
        await queue.delivered(message, self.name)
        self.stats.delivered += 1
        self.stats.by_kind[message.kind] = self.stats.by_kind.get(message.kind, 0) + 1

    async def run_periodic(self) -> None:
        now = time.monotonic()
        for job in self.periodic:
            if job.due_at <= now:
                job.due_at = now + job.every_seconds
                try:
                    await job.run()
                except Exception:  # noqa: BLE001 - one job's failure must not stop the worker
                    log.exception("periodic job %r failed", job.name)

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop` is set: deliver, run periodic jobs, sleep until the next poll or a
        wake-up. On stop, the leases still held are handed back."""
        log.info("worker %s started", self.name)
        try:
            while not stop.is_set():
                await self.run_periodic()
                try:
                    handled = await self.deliver_due(stop)
                except Exception:  # noqa: BLE001 - a database hiccup: try again after a pause
                    log.exception("worker %s could not claim messages", self.name)
                    handled = 0
                if handled:
                    continue
                self._wake.clear()
                sleeper = asyncio.ensure_future(self._wake.wait())
                stopper = asyncio.ensure_future(stop.wait())
                await asyncio.wait({sleeper, stopper}, timeout=self.poll_seconds,
                                   return_when=asyncio.FIRST_COMPLETED)
                sleeper.cancel()
                stopper.cancel()
        finally:
            try:
                released = await queue.release(self.name)
            except Exception:  # noqa: BLE001 - shutting down; the leases run out by themselves
                log.exception("worker %s could not hand back its leases", self.name)
            else:
                if released:
                    log.info("worker %s handed back %s leases", self.name, released)
            log.info("worker %s stopped", self.name)

    async def _prune(self) -> None:
        await queue.prune(utc_now() - KEEP_DELIVERED)
