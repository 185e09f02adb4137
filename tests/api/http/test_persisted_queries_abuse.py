"""Persisted queries cannot exhaust shared state (issue 28, SPEC I7, O3): an anonymous
client registering many large documents neither fills Redis — so the sign-in counters
keep working on a `maxmemory` Redis with `noeviction` — nor grows the database past the
per-client and total limits."""
from __future__ import annotations

import hashlib
import shutil
import socket
import subprocess
import time

import httpx
import pytest
import pytest_asyncio
from tortoise import connections

from api import documents as documents_module
from tests.support.flows import LOG_IN, PASSWORD, sign_up


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def capped_redis():
    """A Redis of 2 MB that refuses writes when full, on a free loopback port."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    port = _free_port()
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--maxmemory", "2mb",
                               "--maxmemory-policy", "noeviction", "--save", "", "--appendonly", "no"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 5
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("redis-server did not start")
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=5)


@pytest_asyncio.fixture
async def client_for(db, settings):
    from api.app import create_app

    made = []

    def make(address: str, **overrides) -> httpx.AsyncClient:
        app = create_app(settings.replace(**overrides), manage_db=False)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 40000)),
                                   base_url="http://test")
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


def _large_document(n: int) -> str:
    # Just under the size that is remembered at all, valid, and cheap to parse.
    head = f"query Filler{n} {{ catalog {{ currency }} }}\n#"
    return head + "x" * (documents_module.MAX_DOCUMENT_BYTES - len(head) - 64)


async def _register(client: httpx.AsyncClient, document: str) -> int:
    digest = hashlib.sha256(document.encode()).hexdigest()
    response = await client.post("/graphql", json={
        "query": document, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}})
    return response.status_code


async def test_anonymous_registrations_cannot_make_the_sign_in_counters_fail(client_for, capped_redis, api):
    await sign_up(api, "keeps.signing.in@example.org")
    attacker = client_for("10.66.0.1", redis_url=capped_redis)
    # 3 MB of documents against a 2 MB Redis: before, it was full after ~60 of them.
    for n in range(100):
        assert await _register(attacker, _large_document(n)) == 200
    import redis.asyncio as redis

    server = redis.from_url(capped_redis)
    try:
        used = (await server.info("memory"))["used_memory"]
        assert used < 1_500_000, used  # counters only
    finally:
        await server.aclose()
    person = client_for("10.66.0.2", redis_url=capped_redis)
    response = await person.post("/graphql", json={"query": LOG_IN, "variables": {
        "input": {"email": "keeps.signing.in@example.org", "password": PASSWORD}}})
    body = response.json()
    assert not body.get("errors"), body
    assert body["data"]["logIn"]["accessToken"]


async def test_registrations_are_limited_per_client_and_in_total(client_for, monkeypatch):
    monkeypatch.setattr(documents_module, "MAX_APQ_ROWS", 6)
    first = client_for("10.77.0.1", persisted_queries_per_client=4)
    for n in range(7):  # every document runs; only the first 4 are remembered
        assert await _register(first, f"query First{n} {{ catalog {{ currency }} }}") == 200
    _, rows = await connections.get("default").execute_query('SELECT COUNT(*) AS n FROM "persisted_document"')
    assert rows[0]["n"] == 4
    second = client_for("10.77.0.2", persisted_queries_per_client=4)
    for n in range(4):
        assert await _register(second, f"query Second{n} {{ catalog {{ currency }} }}") == 200
    _, rows = await connections.get("default").execute_query('SELECT COUNT(*) AS n FROM "persisted_document"')
    assert rows[0]["n"] == 6  # the total cap, oldest out first
