"""SIGTERM and live updates (issue 24, api/drain.py): as the drain begins every stream
is closed with 1012 (service restart), so clients reconnect — the load balancer sends
them to another host — while the draining one still answers requests in flight; a
connection opened during the drain is closed the same way."""
from __future__ import annotations

import asyncio
import json
import signal
import time

import httpx
import pytest
import websockets

from tests.integration.processes.test_sigterm_drain import DRAIN, serve  # noqa: F401 - the fixture

# Alone (Makefile): streams must close before the drain ends, by the wall clock.
pytestmark = pytest.mark.serial

SIGN_UP = ("mutation($i: SignUpInput!) { signUp(input: $i) { accessToken userErrors { code } } }")


async def _subscribed(url: str, token: str):
    ws = await websockets.connect(url, subprotocols=["graphql-transport-ws"])
    await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    await ws.send(json.dumps({"id": "1", "type": "subscribe",
                              "payload": {"query": "subscription { viewerUpdates { event } }"}}))
    return ws


async def _close_code(ws) -> int:
    try:
        async with asyncio.timeout(DRAIN):
            while True:
                await ws.recv()
    except websockets.ConnectionClosed:
        return ws.close_code


def test_sigterm_closes_live_streams_with_1012_as_the_drain_begins(serve):  # noqa: F811
    process, base = serve(SHUTDOWN_DRAIN_SECONDS=str(DRAIN))
    body = httpx.post(base + "/graphql", json={"query": SIGN_UP, "variables": {"i": {
        "email": "drain@example.org", "password": "correct horse 42", "name": "D", "accountName": "Drain"}}}).json()
    token = body["data"]["signUp"]["accessToken"]
    url = base.replace("http://", "ws://") + "/graphql"

    async def scenario() -> tuple[int, int, float]:
        ws = await _subscribed(url, token)
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        code = await _close_code(ws)
        took = time.monotonic() - started
        late = await websockets.connect(url, subprotocols=["graphql-transport-ws"])
        return code, await _close_code(late), took

    code, late_code, took = asyncio.run(scenario())
    assert code == 1012 and late_code == 1012
    assert took < DRAIN  # closed as the drain began, not when the server stopped
    assert httpx.get(base + "/readyz").status_code == 503  # still up, draining
