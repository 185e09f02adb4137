"""Two hosts, one database, one Redis (SPEC A5, G4, S6, Q3, I7): two
`casebook serve --workers 2` on different ports stand for two machines behind a load
balancer. Every racing request alternates between them, and still every limit holds,
one idempotency key charges once, a rate limit counts attempts on both hosts together,
and a persisted query remembered on one host is known on the other.

Run through PgBouncer too (.ci/run): then four server processes share its pool."""
from __future__ import annotations

import asyncio
import contextlib
import hashlib
import uuid

import httpx
import pytest

from bench import race
from bench.servers import (
    api_command, connect, create_database, drop_database, free_port, migrate, running, server_env,
)
from tests.support.services import redis_up

pytestmark = pytest.mark.postgres_only

CLIENTS = 8  # concurrent requests per race, four to each host
LIMIT = 6  # failed logIn attempts per (address, client) in the window
REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="module")
def hosts():
    """([base URL of host A, host B], database URL)."""
    if not redis_up():
        pytest.skip("needs Redis at 127.0.0.1:6379")
    database = asyncio.run(create_database("casebook_two_hosts_test"))
    try:
        env = server_env(database, REDIS_URL=REDIS_URL, RATE_LIMIT_PER_EMAIL_CLIENT=str(LIMIT),
                         RATE_LIMIT_WINDOW_SECONDS="86400", EXECUTION_TIMEOUT_SECONDS="60")
        migrate(env)
        bases = [f"http://127.0.0.1:{free_port()}" for _ in range(2)]
        with contextlib.ExitStack() as stack:
            for base in bases:
                stack.enter_context(running(api_command(int(base.rsplit(":", 1)[1]), 2), env, base))
            yield bases, database
    finally:
        asyncio.run(drop_database(database))


@contextlib.asynccontextmanager
async def clients(bases: list[str]):
    async with contextlib.AsyncExitStack() as stack:
        yield [await stack.enter_async_context(httpx.AsyncClient(
            base_url=base, timeout=60, limits=httpx.Limits(max_connections=2 * CLIENTS))) for base in bases]


async def _prove(hosts, prove) -> None:
    bases, database = hosts
    async with clients(bases) as (a, b):
        db = await connect(database)
        try:
            proof = await prove(race.Client(a, b), db, CLIENTS)
        finally:
            await db.close()
    assert proof.held, "\n".join([proof.name, *proof.facts])


async def test_a5_the_active_client_cap_holds_across_hosts(hosts):
    await _prove(hosts, race.prove_active_client_cap)


async def test_g4_one_guest_email_never_gets_a_fourth_dossier_across_hosts(hosts):
    await _prove(hosts, race.prove_guest_limit)


async def test_g4_a_dossier_never_gets_a_1001st_share_across_hosts(hosts):
    await _prove(hosts, race.prove_dossier_share_cap)


async def test_s6_the_last_seat_is_taken_once_across_hosts(hosts):
    await _prove(hosts, race.prove_seat_limit)


async def test_q3_one_idempotency_key_charges_once_across_hosts(hosts):
    await _prove(hosts, race.prove_idempotent_apply)


LOG_IN = """mutation($e: String!, $p: String!) { logIn(input: {email: $e, password: $p}) {
  accessToken userErrors { code } } }"""


async def test_i7_a_rate_limit_counts_the_attempts_of_both_hosts_together(hosts):
    bases, database = hosts
    email = f"two-hosts-{uuid.uuid4().hex[:10]}@example.org"
    async with clients(bases) as (a, b):
        signed_up = await a.post("/graphql", json={"query": race.SIGN_UP, "variables": {"input": {
            "email": email, "password": race.PASSWORD, "name": "Owner", "accountName": "Two hosts"}}})
        assert signed_up.json()["data"]["signUp"]["userErrors"] == []

        async def guess(http: httpx.AsyncClient, n: int) -> str:
            response = await http.post("/graphql", json={"query": LOG_IN, "variables": {"e": email, "p": f"guess {n}"}},
                                       headers={"x-forwarded-for": "203.0.113.14"})
            body = response.json()
            if body.get("errors"):
                return body["errors"][0]["extensions"]["code"]
            errors = body["data"]["logIn"]["userErrors"]
            return errors[0]["code"] if errors else "SIGNED_IN"

        outcomes = await asyncio.gather(*[guess((a, b)[n % 2], n) for n in range(4 * LIMIT)])
    # One host alone would admit LIMIT; two counting apart would admit up to twice that.
    assert outcomes.count("INVALID_CREDENTIALS") == LIMIT, outcomes
    assert outcomes.count("RATE_LIMITED") == 3 * LIMIT, outcomes
    db = await connect(database)
    try:
        # Counted in Redis, not per host (the mail ceiling per recipient counts in the database,
        # in the transaction that queues the mail).
        assert await db.fetchval("""SELECT COUNT(*) FROM "rate_limit" WHERE "key" NOT LIKE 'mail.recipient:%'""") == 0
    finally:
        await db.close()


async def test_a_persisted_query_remembered_on_one_host_is_known_on_the_other(hosts):
    bases, database = hosts
    document = f"query TwoHosts{uuid.uuid4().hex[:8]} {{ __typename }}"
    digest = hashlib.sha256(document.encode()).hexdigest()
    persisted = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    async with clients(bases) as (a, b):
        unknown = await b.post("/graphql", json={"extensions": persisted})
        assert unknown.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        registered = await a.post("/graphql", json={"query": document, "extensions": persisted})
        assert registered.json()["data"] == {"__typename": "Query"}
        # Each worker process of host B is asked (two workers, new connections each time).
        for _ in range(4):
            async with httpx.AsyncClient(base_url=bases[1], timeout=30) as fresh:
                by_hash = await fresh.post("/graphql", json={"extensions": persisted})
                assert by_hash.json().get("data") == {"__typename": "Query"}, by_hash.text
    db = await connect(database)
    try:
        # Shared through the database, never Redis: no client can fill Redis with documents (I7).
        assert await db.fetchval("SELECT COUNT(*) FROM persisted_document WHERE sha256 = $1", digest) == 1
    finally:
        await db.close()
