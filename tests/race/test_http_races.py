"""Race proof over HTTP (SPEC A5, G4, S6, Q3): the real server with 4 worker
processes on PostgreSQL, a fresh database migrated by `casebook migrate`, concurrent
limit-hitting mutations; every limit holds, every key is charged once, nothing is
half-written. The same proofs at larger scale: `python -m bench.race`."""
from __future__ import annotations

import asyncio

import pytest

from bench import race
from bench.servers import (
    api_command, connect, create_database, drop_database, free_port, migrate, running, server_env,
)

pytestmark = pytest.mark.postgres_only

CLIENTS = 8  # concurrent requests per race: enough to collide across 4 workers


@pytest.fixture(scope="module")
def server():
    """(base URL, database URL) of `casebook serve --workers 4` on a fresh database."""
    database = asyncio.run(create_database("casebook_race_test"))
    try:
        env = server_env(database)
        migrate(env)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with running(api_command(port, 4), env, base):
            yield base, database
    finally:
        asyncio.run(drop_database(database))


async def _prove(server, prove) -> None:
    base, database = server
    import httpx

    async with httpx.AsyncClient(base_url=base, timeout=60,
                                 limits=httpx.Limits(max_connections=4 * CLIENTS)) as http:
        db = await connect(database)
        try:
            proof = await prove(race.Client(http), db, CLIENTS)
        finally:
            await db.close()
    assert proof.held, "\n".join([proof.name, *proof.facts])


async def test_a3_racing_creates_never_pass_the_active_client_cap(server):
    await _prove(server, race.prove_active_client_cap)


async def test_g2_one_guest_email_never_gets_a_fourth_dossier(server):
    await _prove(server, race.prove_guest_limit)


async def test_g1_a_dossier_never_gets_a_1001st_share(server):
    await _prove(server, race.prove_dossier_share_cap)


async def test_s6_racing_invitations_never_take_more_seats_than_paid(server):
    await _prove(server, race.prove_seat_limit)


async def test_q3_one_idempotency_key_charges_once(server):
    await _prove(server, race.prove_idempotent_apply)
