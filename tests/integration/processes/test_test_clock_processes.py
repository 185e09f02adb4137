"""Issue 22's "done when", with real processes (SPEC O4, O5): on PostgreSQL with
`casebook serve` and a separate `casebook worker`, and on SQLite under `casebook serve`
(the worker in-process). An account at a past business time keeps its dates while the
worker runs; advancing its clock past the renewal applies the scheduled change and writes
the ledger line once; a webhook endpoint answering 500 is retried as the clock moves and
is FAILED once the clock is a day past the first attempt; an export expires when the
clock passes its expiry. The worker polls every 0.1 s, so minutes of worker take seconds."""
from __future__ import annotations

import asyncio
import contextlib
import sys
import tempfile
from datetime import datetime, timedelta

import httpx
import pytest

from bench.servers import api_command, create_database, drop_database, free_port, migrate, running, server_env
from tests.conftest import ON_POSTGRES
from tests.support.billing import APPLY, LEDGER, QUOTE, SUBSCRIPTION
from tests.support.flows import PASSWORD, SIGN_UP
from tests.support.webhooks import CREATE_DOSSIER, CREATE_ENDPOINT, ENDPOINTS, start_receiver

# Alone (Makefile): real processes must get there within a deadline.
pytestmark = pytest.mark.serial

APRIL_15 = "2026-04-15T10:00:00+02:00"
MAY_10 = "2026-05-10T12:00:00+02:00"
MAY_15 = "2026-05-15T06:00:00+02:00"
ADVANCE = """mutation($to: DateTime!) { advanceTestClock(input: {to: $to}) { account { testClock }
  userErrors { code message } } }"""
EXPORT = """mutation($id: ID!) { exportDossier(input: {dossierId: $id, format: JSON}) { export { id } userErrors { code } } }"""
EXPORT_STATE = """query($id: ID!) { export(id: $id) { status expiresAt downloadUrl } }"""
FAST = {"CASEBOOK_ENV": "test", "WORKER_POLL_SECONDS": "0.1", "RENEWAL_CHECK_SECONDS": "0.1",
        "EXPORT_SWEEP_SECONDS": "0.2", "LOG_LEVEL": "WARNING"}


def worker_command() -> list[str]:
    return [sys.executable, "-m", "api.cli", "worker"]


@contextlib.contextmanager
def postgres_service():
    database = asyncio.run(create_database("casebook_clock_test"))
    try:
        env = server_env(database, **FAST)
        migrate(env)
        base = f"http://127.0.0.1:{free_port()}"
        with running(api_command(int(base.rsplit(":", 1)[1]), 1), env, base), \
                running(worker_command(), env, base):
            yield base
    finally:
        asyncio.run(drop_database(database))


@contextlib.contextmanager
def sqlite_service():
    with tempfile.TemporaryDirectory() as directory:
        env = server_env(f"{directory}/casebook.sqlite3", EXPORT_DIR=f"{directory}/exports", **FAST)
        migrate(env)
        base = f"http://127.0.0.1:{free_port()}"
        with running(api_command(int(base.rsplit(":", 1)[1]), 1), env, base):
            yield base


class Client:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.token: str | None = None

    async def data(self, query: str, variables: dict | None = None, now: str | None = None) -> dict:
        headers = {"authorization": f"Bearer {self.token}"} if self.token else {}
        if now:
            headers["x-casebook-now"] = now
        response = await self.http.post("/graphql", json={"query": query, "variables": variables or {}},
                                        headers=headers)
        body = response.json()
        assert not body.get("errors"), body
        return body["data"]


async def until(check, seconds: float = 15.0):
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        result = await check()
        if result or asyncio.get_running_loop().time() > deadline:
            return result
        await asyncio.sleep(0.1)


async def _walk(base: str) -> None:
    receiver, server = start_receiver()
    receiver.script = [500] * 100
    try:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            api = Client(http)
            signed = (await api.data(SIGN_UP, {"input": {"email": "clock@example.org", "password": PASSWORD,
                                                         "name": "Olga Owner", "accountName": "Clock practice"}},
                                     now=APRIL_15))["signUp"]
            assert signed["userErrors"] == []
            api.token = signed["accessToken"]
            quote = (await api.data(QUOTE, {"input": {"term": "YEARLY"}}, now=MAY_10))["quoteSubscriptionChange"]
            assert quote["userErrors"] == [], (quote, await api.data(SUBSCRIPTION))
            applied = await api.data(APPLY, {"input": {"quoteId": quote["quote"]["id"], "idempotencyKey": "k1"}},
                                     now=MAY_10)
            assert applied["applySubscriptionChange"]["userErrors"] == []
            created = await api.data(CREATE_ENDPOINT, {"input": {"url": receiver.url, "events": ["dossier.created"]}})
            assert created["createWebhookEndpoint"]["userErrors"] == []
            dossier = (await api.data(CREATE_DOSSIER, {"name": "Ann"}))["createDossier"]["dossier"]["id"]
            export_id = (await api.data(EXPORT, {"id": dossier}))["exportDossier"]["export"]["id"]
            lines_before = len((await api.data(LEDGER))["account"]["ledger"])

            async def delivery() -> dict:
                endpoint = (await api.data(ENDPOINTS))["account"]["webhookEndpoints"][0]
                return endpoint["deliveries"]["edges"][0]["node"]

            async def export_state() -> dict:
                return (await api.data(EXPORT_STATE, {"id": export_id}))["export"]

            # The worker runs for a while at a wall clock months past 15 May.
            assert await until(lambda: _true(len(receiver.received) == 1))
            assert (await until(lambda: _field(export_state, "status", "READY")))
            await asyncio.sleep(1.0)  # ten worker polls: nothing else happens
            sub = (await api.data(SUBSCRIPTION))["account"]["subscription"]
            assert (sub["term"], sub["periodStart"], len(sub["scheduledChanges"])) == ("MONTHLY", "2026-04-15", 1)
            assert len((await api.data(LEDGER))["account"]["ledger"]) == lines_before
            first = await delivery()
            assert (first["status"], first["attempts"], len(receiver.received)) == ("FAILING", 1, 1)
            export = await export_state()
            assert export["downloadUrl"] is not None

            # 15 s later by the account's clock: the first retry.
            created_at = datetime.fromisoformat(first["createdAt"])
            await api.data(ADVANCE, {"to": (created_at + timedelta(seconds=15)).isoformat()})
            assert await until(lambda: _true(len(receiver.received) == 2))

            # Past the renewal, the export's expiry and the delivery's day.
            await api.data(ADVANCE, {"to": MAY_15})
            assert await until(lambda: _field(delivery, "status", "FAILED"))
            assert len(receiver.received) == 3

            async def renewed() -> bool:
                return (await api.data(SUBSCRIPTION))["account"]["subscription"]["periodStart"] == "2026-05-15"

            assert await until(renewed)
            assert (await export_state())["downloadUrl"] is None
            await asyncio.sleep(0.5)  # five more renewal checks: still one renewal
            lines = (await api.data(LEDGER))["account"]["ledger"]
            assert len(lines) == lines_before + 1 and lines[-1]["amount"]["amount"] == "316.80"
            sub = (await api.data(SUBSCRIPTION))["account"]["subscription"]
            assert (sub["term"], sub["renewsOn"], sub["scheduledChanges"]) == ("YEARLY", "2027-05-15", [])
    finally:
        server.shutdown()
        server.server_close()


async def _true(value: bool) -> bool:
    return value


async def _field(read, name: str, wanted: str) -> bool:
    return (await read())[name] == wanted


@pytest.mark.postgres_only
def test_o4_postgres_with_casebook_worker():
    with postgres_service() as base:
        asyncio.run(_walk(base))


@pytest.mark.skipif(ON_POSTGRES, reason="the SQLite deployment")
def test_o4_sqlite_under_casebook_serve():
    with sqlite_service() as base:
        asyncio.run(_walk(base))
