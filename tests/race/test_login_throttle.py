"""I7 over HTTP: the real server with 4 worker processes, counting in Redis. 200
concurrent logIn attempts for one address from one client admit exactly the limit — none
counted anywhere else — and that stranger's failures do not stop the owner signing in
from another client."""
from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from bench.servers import (
    api_command, connect, create_database, drop_database, free_port, migrate, running, server_env,
)
from tests.support.services import redis_up

pytestmark = pytest.mark.postgres_only

LIMIT = 10
BURST = 200
LOG_IN = """mutation($e: String!, $p: String!) { logIn(input: {email: $e, password: $p}) {
  accessToken userErrors { code } } }"""
SIGN_UP = """mutation($e: String!) { signUp(input: {email: $e, password: "correct horse 42", name: "Owner",
  accountName: "Practice"}) { userErrors { code } } }"""


@pytest.fixture(scope="module")
def server():
    if not redis_up():
        pytest.skip("needs Redis at 127.0.0.1:6379")
    database = asyncio.run(create_database("casebook_throttle_test"))
    try:
        env = server_env(database, REDIS_URL="redis://127.0.0.1:6379/0", RATE_LIMIT_PER_EMAIL_CLIENT=str(LIMIT),
                         RATE_LIMIT_WINDOW_SECONDS="86400",
                         # Ten admitted attempts each spend a production-cost argon2 check on two
                         # cores: the execution deadline (O3) is not what this test measures.
                         EXECUTION_TIMEOUT_SECONDS="120")
        migrate(env)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with running(api_command(port, 4), env, base):
            yield base, database
    finally:
        asyncio.run(drop_database(database))


async def _log_in(http: httpx.AsyncClient, email: str, password: str, client: str) -> dict:
    # uvicorn trusts X-Forwarded-For from 127.0.0.1 (proxy headers): one header, one client.
    response = await http.post("/graphql", json={"query": LOG_IN, "variables": {"e": email, "p": password}},
                               headers={"x-forwarded-for": client})
    return response.json()


def _outcome(body: dict) -> str:
    if body.get("errors"):
        return body["errors"][0]["extensions"]["code"]
    errors = body["data"]["logIn"]["userErrors"]
    return errors[0]["code"] if errors else "SIGNED_IN"


async def test_a_burst_admits_exactly_the_limit_and_the_owner_still_signs_in(server):
    base, database = server
    email = f"burst-{uuid.uuid4().hex[:10]}@example.org"
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=httpx.Limits(max_connections=BURST)) as http:
        signed_up = await http.post("/graphql", json={"query": SIGN_UP, "variables": {"e": email}})
        assert signed_up.json()["data"]["signUp"]["userErrors"] == []
        bodies = await asyncio.gather(*[_log_in(http, email, f"guess {n}", "203.0.113.7") for n in range(BURST)])
        outcomes = [_outcome(body) for body in bodies]
        assert outcomes.count("INVALID_CREDENTIALS") == LIMIT, sorted(set(outcomes))
        assert outcomes.count("RATE_LIMITED") == BURST - LIMIT
        owner = await _log_in(http, email, "correct horse 42", "198.51.100.4")
        assert _outcome(owner) == "SIGNED_IN"

    db = await connect(database)
    try:
        # No second counter of sign-ins (the mail ceiling per recipient always counts in the
        # database, in the transaction that queues the mail).
        assert await db.fetchval("""SELECT COUNT(*) FROM "rate_limit" WHERE "key" NOT LIKE 'mail.recipient:%'""") == 0
    finally:
        await db.close()
