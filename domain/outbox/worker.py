"""The worker: delivers what the outbox holds — mail, webhook deliveries, account
archives: one queue, one claim, one lease, one loop (O1, O5) — and runs the periodic
jobs (renewals at each account's local midnight, pruning). Safe to run on several hosts
at once: claims are leased and skip locked rows, and every periodic job is idempotent.

Each kind of message has a handler (`Handlers`); a handler returns when the message is
delivered and raises when it is not (`PermanentFailure` when retrying cannot help,
`RetryAt` when it took the next time from its kind's policy itself). A handler that hangs
is stopped at `handler_timeout` and retried like any failure.

Up to `concurrency` deliveries run at once, each in a slot of its own, so a slow webhook
receiver holds one slot while mail and the others go on; a lane (one webhook endpoint)
has at most LANE_LIMIT messages out at a time across all workers.
"""
from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable

from infra.clock import utc_now
from domain.outbox import queue
from domain.outbox.queue import Claimed

log = logging.getLogger("casebook.worker")

Handler = Callable[[Claimed], Awaitable[None]]
Handlers = dict[str, Handler]
KEEP_DELIVERED = timedelta(days=7)


class PermanentFailure(Exception):
    """Retrying will not help (say, an address the mail server refuses for good)."""


class RetryAt(Exception):
    """Not delivered; the handler recorded the attempt and took the next time from its
    kind's policy (None: the policy gives up)."""

    def __init__(self, reason: str, at: datetime | None) -> None:
        super().__init__(reason)
        self.at = at


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
                 name: str | None = None, concurrency: int = 1, lane_limit: int = queue.LANE_LIMIT,
                 only_kinds: tuple[str, ...] | None = None) -> None:
        self.handlers = handlers
        self.periodic = list(periodic or [])
        self.periodic.append(Periodic("prune delivered messages", 3600, self._prune))
        self.batch = batch
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.handler_timeout = handler_timeout
        self.concurrency = max(1, concurrency)
        self.lane_limit = lane_limit
        # A worker for some kinds only (tests deliver mail apart from webhooks).
        self.only_kinds = only_kinds
        self.name = name or worker_name()
        self.stats = WorkerStats()
        self._wake = asyncio.Event()
        self._in_flight: set[asyncio.Task] = set()
        self._lanes: dict[str, int] = {}

    def wake(self) -> None:
        """Look at the queue now instead of at the next poll (in-process writers call it)."""
        self._wake.set()

    async def _claim(self, limit: int) -> list[Claimed]:
        """Claim up to `limit`; a lane over its limit within this claim is handed back."""
        claimed = await queue.claim(self.name, limit=limit, lease_seconds=self.lease_seconds,
                                    lane_limit=self.lane_limit, kinds=self.only_kinds)
        taken, counts = [], dict(self._lanes)
        for message in claimed:
            if message.lane is not None and counts.get(message.lane, 0) >= self.lane_limit:
                await queue.hand_back(message, self.name)
                continue
            if message.lane is not None:
                counts[message.lane] = counts.get(message.lane, 0) + 1
            taken.append(message)
        return taken

    def _start(self, message: Claimed) -> asyncio.Task:
        if message.lane is not None:
            self._lanes[message.lane] = self._lanes.get(message.lane, 0) + 1

        def done(task: asyncio.Task) -> None:
            self._in_flight.discard(task)
            if message.lane is not None:
                left = self._lanes.get(message.lane, 1) - 1
                if left > 0:
                    self._lanes[message.lane] = left
                else:
                    self._lanes.pop(message.lane, None)

        task = asyncio.create_task(self._deliver(message), name=f"outbox-{message.kind}-{message.id}")
        self._in_flight.add(task)
        task.add_done_callback(done)
        return task

    async def deliver_due(self, stop: asyncio.Event | None = None) -> int:
        """Claim one batch of due messages and deliver them, `concurrency` at a time; the
        number handled. Once `stop` is set, deliveries under way finish and the rest of
        the batch is left leased, for `run` to hand back (a rolling deploy does not wait
        for a whole batch)."""
        claimed = await self._claim(self.batch)
        pending = list(claimed)
        running: set[asyncio.Task] = set()
        while pending or running:
            while pending and len(running) < self.concurrency and not (stop is not None and stop.is_set()):
                running.add(self._start(pending.pop(0)))
            if not running:
                break
            finished, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
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
            permanent = isinstance(error, PermanentFailure) or (isinstance(error, RetryAt) and error.at is None)
            retry_at = error.at if isinstance(error, RetryAt) else None
            reason = f"{type(error).__name__}: {error}"
            try:
                status = await queue.attempt_failed(message, self.name, reason, permanent=permanent,
                                                    retry_at=retry_at)
            except Exception:  # noqa: BLE001 - the lease runs out and the message is tried again
                log.exception("outbox message %s: could not record the failed attempt", message.id)
                return
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
        """Until `stop` is set: run periodic jobs, keep the slots busy, and sleep until the
        next poll, a wake-up or a finished delivery. On stop, deliveries under way finish
        (each within its deadline) and the leases still held are handed back."""
        log.info("worker %s started", self.name)
        try:
            while not stop.is_set():
                await self.run_periodic()
                started = 0
                free = self.concurrency - len(self._in_flight)
                if free > 0:
                    try:
                        for message in await self._claim(min(free, self.batch)):
                            self._start(message)
                            started += 1
                    except Exception:  # noqa: BLE001 - a database hiccup: try again after a pause
                        log.exception("worker %s could not claim messages", self.name)
                if started and len(self._in_flight) < self.concurrency:
                    continue
                self._wake.clear()
                waiters = {asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())}
                await asyncio.wait(waiters | set(self._in_flight), timeout=self.poll_seconds,
                                   return_when=asyncio.FIRST_COMPLETED)
                for waiter in waiters:
                    waiter.cancel()
        finally:
            if self._in_flight:
                await asyncio.wait(set(self._in_flight))
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
