"""O1: mail leaves through the outbox — stored with the write, delivered by the worker,
retried while the mail server is down, never sent for a rolled-back write, never twice
by two workers, and taken over when a worker dies mid-delivery."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from api.worker import handlers
from infra.db import transaction
from domain.outbox.mail import queue_mail
from domain.outbox.models import OutboxMessage
from domain.outbox.queue import DELIVERED, FAILED, PENDING, retry_delay
from domain.outbox.worker import Worker
from tests.conftest import ON_POSTGRES

ROOT = Path(__file__).resolve().parents[3]


class Inbox:
    """An SMTP server (aiosmtpd) that refuses with 451 while `down`, and can stall."""

    def __init__(self) -> None:
        self.down = False
        self.stall: asyncio.Event | None = None
        self.received: list[bytes] = []
        self.connected = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        self.connected += 1
        if self.down:
            return "451 4.3.0 mail system is down, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        while self.stall is not None and not self.stall.is_set():
            await asyncio.sleep(0.05)
        self.received.append(envelope.content)
        return "250 Message accepted for delivery"


@pytest.fixture
def inbox():
    from bench.servers import free_port

    handler = Inbox()
    handler.port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    yield handler
    controller.stop()


def _worker(settings, **options) -> Worker:
    return Worker(handlers(settings), **options)


async def _make_due() -> None:
    """Skip the back-off wait: a retry is due now (the delay itself is tested below)."""
    from infra.clock import utc_now

    await OutboxMessage.filter(status=PENDING).update(available_at=utc_now())


async def test_mail_queued_during_an_outage_arrives_exactly_once_afterwards(db, settings, inbox):
    settings = settings.replace(mail_url=f"smtp://127.0.0.1:{inbox.port}")
    worker = _worker(settings)
    inbox.down = True
    async with transaction():
        await queue_mail("someone@example.org", "Hello", "A body")

    await worker.drain()
    message = await OutboxMessage.get()
    assert (message.status, message.attempts) == (PENDING, 1)
    assert "451" in message.last_error and inbox.received == []

    await worker.drain()  # not due yet: backing off
    assert (await OutboxMessage.get()).attempts == 1

    inbox.down = False
    await _make_due()
    await worker.drain()
    await _make_due()
    await worker.drain()
    message = await OutboxMessage.get()
    assert (message.status, message.attempts) == (DELIVERED, 2)
    assert len(inbox.received) == 1
    assert b"To: someone@example.org" in inbox.received[0] and b"Message-ID: <" in inbox.received[0]


async def test_every_retry_carries_the_same_message_id(db, settings, inbox):
    """At least once, recognisably: a repeat has the Message-ID of the first try."""
    settings = settings.replace(mail_url=f"smtp://127.0.0.1:{inbox.port}")
    async with transaction():
        await queue_mail("someone@example.org", "Hello", "A body")
    stored_id = (await OutboxMessage.get()).payload["message_id"]
    await _worker(settings).drain()
    assert f"Message-ID: {stored_id}".encode() in inbox.received[0]


async def test_a_rolled_back_write_sends_nothing(db, settings, inbox):
    settings = settings.replace(mail_url=f"smtp://127.0.0.1:{inbox.port}")
    with pytest.raises(RuntimeError):
        async with transaction():
            await queue_mail("someone@example.org", "Hello", "A body")
            raise RuntimeError("the write fails after announcing")
    await _worker(settings).drain()
    assert await OutboxMessage.all().count() == 0 and inbox.received == []


async def test_retries_back_off_to_at_most_fifteen_minutes_and_give_up_after_a_day(db, settings):
    import random

    from domain.outbox.queue import gives_up

    rng = random.Random(1)
    delays = [retry_delay(n, rng) for n in range(1, 20)]
    assert delays[0] < 10 and all(d <= 15 * 60 * 1.2 for d in delays) and delays[-1] >= 15 * 60 * 0.8
    from datetime import datetime, timedelta, timezone

    start = datetime(2026, 5, 1, tzinfo=timezone.utc)
    assert not gives_up(start, 90, start + timedelta(hours=23, minutes=59))
    assert gives_up(start, 90, start + timedelta(days=1))


async def test_a_message_that_keeps_failing_is_marked_failed_visibly(db, settings):
    settings = settings.replace(mail_url="smtp://127.0.0.1:1")
    async with transaction():
        await queue_mail("someone@example.org", "Hello", "A body")
    from datetime import timedelta

    from infra.clock import utc_now

    await OutboxMessage.all().update(created_at=utc_now() - timedelta(days=1, minutes=1))
    await _worker(settings).drain()
    message = await OutboxMessage.get()
    assert message.status == FAILED and "port 1" in message.last_error


@pytest.mark.postgres_only
async def test_two_workers_never_deliver_one_message_twice(db, settings):
    delivered: list[int] = []

    async def slow_handler(message):
        await asyncio.sleep(0.002)
        delivered.append(message.id)

    async with transaction():
        for n in range(60):
            await queue_mail(f"p{n}@example.org", "Hello", "A body")
    first = Worker({"mail": slow_handler}, batch=5, name="first")
    second = Worker({"mail": slow_handler}, batch=5, name="second")
    await asyncio.gather(first.drain(), second.drain())
    assert sorted(delivered) == sorted(set(delivered)) and len(delivered) == 60
    assert first.stats.delivered > 0 and second.stats.delivered > 0
    assert await OutboxMessage.filter(status=DELIVERED).count() == 60


async def _worker_stalled_in_data(database_url: str, inbox, *, lease_seconds: int) -> subprocess.Popen:
    """A real `casebook worker` process, returned once the mail server holds its first
    message in DATA (the inbox stalls until `inbox.stall` is set)."""
    inbox.stall = asyncio.Event()
    env = {**os.environ, "CASEBOOK_ENV": "test", "DATABASE_URL": database_url,
           "JWT_SECRET": "test-secret-0123456789abcdef0123456789abcdef",
           "MAIL_URL": f"smtp://127.0.0.1:{inbox.port}", "WORKER_LEASE_SECONDS": str(lease_seconds),
           "WORKER_POLL_SECONDS": "0.1", "LOG_FORMAT": "text",
           # One slot: the worker holds one message at a time, the others stay queued
           # (with more slots, every delivery under way finishes on SIGTERM alike).
           "WEBHOOK_CONCURRENCY": "1"}
    process = subprocess.Popen([sys.executable, "-m", "api.cli", "worker"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while inbox.connected == 0 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    if inbox.connected != 1:
        process.kill()
        raise AssertionError(f"the worker never reached the mail server alone ({inbox.connected} connections)")
    await asyncio.sleep(0.3)  # in DATA, stalled
    return process


@pytest.mark.postgres_only
async def test_a_worker_killed_mid_delivery_leaves_the_message_for_another(db, settings, database_url, inbox):
    """`kill -9` while the SMTP server holds the message: after the lease runs out,
    another worker delivers it."""
    assert ON_POSTGRES
    async with transaction():
        await queue_mail("someone@example.org", "Hello", "A body")
    process = await _worker_stalled_in_data(database_url, inbox, lease_seconds=2)
    try:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    message = await OutboxMessage.get()
    assert (message.status, message.attempts) == (PENDING, 1) and message.leased_until is not None
    inbox.stall.set()
    inbox.received.clear()  # the dead worker's half-sent message never completed

    settings = settings.replace(mail_url=f"smtp://127.0.0.1:{inbox.port}")
    await _worker(settings).drain()
    assert inbox.received == []  # still leased by the dead worker
    await asyncio.sleep(2.1)
    await _worker(settings).drain()
    message = await OutboxMessage.get()
    assert (message.status, message.attempts) == (DELIVERED, 2) and len(inbox.received) == 1


@pytest.mark.postgres_only
async def test_sigterm_lets_the_delivery_under_way_finish_and_hands_back_the_rest(db, settings, database_url, inbox):
    """Rolling deploys: `casebook worker` gets SIGTERM while the mail server
    holds the first of three claimed messages. That one is delivered; the two not begun
    are handed back at once (due again, the attempt not counted), not left leased until
    WORKER_LEASE_SECONDS run out, nor sent by a worker that was told to stop."""
    assert ON_POSTGRES
    async with transaction():
        for n in range(3):
            await queue_mail(f"someone{n}@example.org", "Hello", "A body")
    process = await _worker_stalled_in_data(database_url, inbox, lease_seconds=600)
    try:
        process.send_signal(signal.SIGTERM)
        await asyncio.sleep(0.5)
        assert process.poll() is None  # the delivery under way is not abandoned
        inbox.stall.set()
        deadline = time.monotonic() + 20
        while process.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert process.returncode == 0
    finally:
        if process.poll() is None:
            process.kill()
    messages = await OutboxMessage.all().order_by("id")
    assert len(inbox.received) == 1
    assert [(m.status, m.attempts) for m in messages] == [(DELIVERED, 1), (PENDING, 0), (PENDING, 0)]
    assert [m.leased_until for m in messages[1:]] == [None, None]


async def test_stopping_a_worker_hands_its_leases_back(db, settings):
    from domain.outbox.queue import claim, release

    async with transaction():
        await queue_mail("someone@example.org", "Hello", "A body")
    [held] = await claim("going-away", limit=5, lease_seconds=600)
    assert held.attempts == 1
    assert await release("going-away") == 1
    message = await OutboxMessage.get()
    assert (message.leased_until, message.attempts) == (None, 0)
    await _worker(settings).drain()
    assert (await OutboxMessage.get()).status == DELIVERED
