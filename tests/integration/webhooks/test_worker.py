"""The worker sends webhooks in a loop of its own (T5, O1): what a write announces
arrives without anyone asking, and a slow endpoint holds one slot, not the others."""
from __future__ import annotations

import asyncio
import time

import pytest

from api.worker import build_worker, running_worker
from domain.billing.catalog import load_catalog
from tests.support.flows import sign_up
from tests.support.webhooks import CREATE_DOSSIER, start_receiver, subscribe


@pytest.fixture
def receivers():
    started = [start_receiver() for _ in range(2)]
    yield [receiver for receiver, _ in started]
    for _, server in started:
        server.shutdown()
        server.server_close()


async def _until(condition, timeout: float = 5.0) -> float:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, "timed out waiting"
        await asyncio.sleep(0.02)
    return time.monotonic() - started


@pytest.mark.serial
async def test_a_running_worker_sends_what_writes_announce_and_a_slow_endpoint_holds_up_no_other(
        api, settings, receivers):
    api.deliver = False
    slow, fast = receivers
    slow.delay = 2.0
    owner = await sign_up(api)
    await subscribe(api, owner["accessToken"], slow.url)
    await subscribe(api, owner["accessToken"], fast.url)
    worker = build_worker(settings.replace(worker_poll_seconds=0.05), load_catalog(None))

    async with running_worker(worker):
        await api.data(CREATE_DOSSIER, {"name": "Ann"}, token=owner["accessToken"])
        waited = await _until(lambda: len(fast.received) == 1)
        assert waited < 1.0  # not behind the slow endpoint's 2 s
        await _until(lambda: len(slow.received) == 1)
        await api.data(CREATE_DOSSIER, {"name": "Bob"}, token=owner["accessToken"])
        await _until(lambda: len(fast.received) == 2)
    assert len(slow.received) >= 1
