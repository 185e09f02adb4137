"""Live updates across processes and hosts (SPEC T7, issue 24): real `casebook serve`
processes on one PostgreSQL (and Redis); stock `gql` clients subscribe to one host and a
colleague writes through another. PostgreSQL NOTIFY/LISTEN and Redis pub/sub alike."""
from __future__ import annotations

import asyncio
import contextlib
import os

import httpx
import pytest

from bench import race
from bench.servers import api_command, connect, create_database, drop_database, free_port, migrate, running, \
    server_env
from tests.support.live import Subscriber
from tests.support.services import redis_up

# Alone (Makefile): it listens on Redis's one live-updates channel, where any other test's
# server with REDIS_URL publishes its own dossiers' events (ids alike in every database).
pytestmark = [pytest.mark.postgres_only, pytest.mark.serial]
REDIS_URL = "redis://127.0.0.1:6379/0"
CREATE = "mutation($name: String!) { createDossier(input: {clientName: $name}) { dossier { id } userErrors { code } } }"
SHARE = ("mutation($d: ID!, $e: String!, $a: ShareAccess!) { shareDossier(input: {dossierId: $d, email: $e, "
         "access: $a}) { share { id status } userErrors { code } } }")
REVOKE = "mutation($s: ID!) { revokeShare(input: {shareId: $s}) { userErrors { code } } }"
ADD = ("mutation($d: ID!, $b: String!) { addEntry(input: {dossierId: $d, kind: NOTE, body: $b}) "
       "{ entry { id } userErrors { code } } }")
UPDATES = "subscription($id: ID!) { dossierUpdates(dossierId: $id) { event entry { id body } } }"


@contextlib.contextmanager
def hosts(count: int, workers: int, **extra: str):
    """`count` servers of `workers` processes on one new database; yields (bases, database)."""
    database = asyncio.run(create_database("casebook_live_test"))
    try:
        # LISTEN needs a direct connection (T7): CI's PgBouncer pass names the server behind it.
        direct = os.environ.get("CASEBOOK_TEST_DIRECT_URL", "").rstrip("/")
        listen = {"LIVE_LISTEN_URL": f"{direct}/{database.rsplit('/', 1)[1]}"} if direct else {}
        env = server_env(database, **listen, **extra)
        migrate(env)
        bases = [f"http://127.0.0.1:{free_port()}" for _ in range(count)]
        with contextlib.ExitStack() as stack:
            for base in bases:
                stack.enter_context(running(api_command(int(base.rsplit(":", 1)[1]), workers), env, base))
            yield bases, database
    finally:
        asyncio.run(drop_database(database))


async def _colleagues(api: race.Client, database: str) -> tuple[dict, dict, str, str]:
    """An owner's dossier shared (CONTRIBUTOR) with a colleague of another practice:
    (owner, colleague, dossier id, share id)."""
    owner, colleague = await api.sign_up("carer"), await api.sign_up("colleague")
    db = await connect(database)
    try:
        await db.execute('UPDATE "user" SET email_verified_at = now()')  # I1: proven addresses
    finally:
        await db.close()
    dossier = (await api.gql(CREATE, {"name": "Ada"}, owner["token"]))["data"]["createDossier"]["dossier"]["id"]
    shared = (await api.gql(SHARE, {"d": dossier, "e": colleague["email"], "a": "CONTRIBUTOR"},
                            owner["token"]))["data"]["shareDossier"]
    assert shared["userErrors"] == [] and shared["share"]["status"] == "ACTIVE", shared
    return owner, colleague, dossier, shared["share"]["id"]


def _ws(base: str) -> str:
    return base.replace("http://", "ws://") + "/graphql"


async def _deliver_across(bases: list[str], database: str) -> None:
    async with httpx.AsyncClient(base_url=bases[-1], timeout=30) as writer_http:
        api = race.Client(writer_http)
        owner, colleague, dossier, share_id = await _colleagues(api, database)
        # Several connections to the first host: with two workers per host they land on both.
        async with contextlib.AsyncExitStack() as stack:
            carers = [await stack.enter_async_context(Subscriber(_ws(bases[0]), owner["token"], UPDATES,
                                                                 {"id": dossier})) for _ in range(4)]
            colleague_stream = await stack.enter_async_context(
                Subscriber(_ws(bases[0]), colleague["token"], UPDATES, {"id": dossier}))
            added = (await api.gql(ADD, {"d": dossier, "b": "Slept well."}, colleague["token"]))["data"]["addEntry"]
            for stream in (*carers, colleague_stream):
                update = (await stream.next(10))["dossierUpdates"]
                assert update == {"event": "entry.added", "entry": {"id": added["entry"]["id"], "body": "Slept well."}}
            # Revoked on the other host: the colleague's stream ends with the reason (G6).
            assert (await api.gql(REVOKE, {"s": share_id}, owner["token"]))["data"]["revokeShare"]["userErrors"] == []
            assert await colleague_stream.next(10) is None
            assert colleague_stream.ended.errors[0]["extensions"]["code"] == "FORBIDDEN"
            assert (await carers[0].next(10))["dossierUpdates"]["event"] == "share.revoked"


def test_t7_a_carer_receives_an_entry_added_through_another_worker_process():
    with hosts(1, 2) as (bases, database):
        asyncio.run(_deliver_across(bases, database))


@pytest.mark.parametrize("broker", ["redis", "postgres"])
def test_t7_two_hosts_deliver_to_each_other(broker):
    if not redis_up():
        pytest.skip("needs Redis at 127.0.0.1:6379")
    with hosts(2, 1, REDIS_URL=REDIS_URL, LIVE_BROKER=broker) as (bases, database):
        asyncio.run(_deliver_across(bases, database))
