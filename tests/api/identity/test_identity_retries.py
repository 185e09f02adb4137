"""Safe retries (SPEC O6, T1; API.md "Retries, expiry and outages"; issue 28): parallel
refreshes within the grace interval both get working pairs, a reuse after it still
revokes the chain, refusals say what happened, an expired access token is told apart
from a bad one, outages answer SERVICE_UNAVAILABLE with a time to retry after, and
graphql-response+json gets 401/429/503 with their headers."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import jwt
import pytest
from tortoise import connections

from domain.identity.errors import REFRESH_REUSED
from domain.identity.models import RefreshToken
from domain.core.secrets import token_hash
from tests.support.flows import LOG_IN, PASSWORD, log_in, sign_up
from tests.support.identity import ME, codes, top_code

REFRESH = """mutation($t: String!) { refreshSession(input: {refreshToken: $t}) {
  accessToken refreshToken userErrors { code message } } }"""
GRAPHQL_RESPONSE = "application/graphql-response+json"


async def refresh(api, token: str) -> dict:
    return (await api.data(REFRESH, {"t": token}))["refreshSession"]


async def age_use(token: str, seconds: int) -> None:
    """Move a used refresh token's first use `seconds` into the past."""
    stored = await RefreshToken.get(token_hash=token_hash(token))
    await RefreshToken.filter(id=stored.id).update(used_at=stored.used_at - timedelta(seconds=seconds))


async def test_two_parallel_refreshes_with_one_token_both_get_working_pairs(api):
    """O6: two tabs refresh at once; before, the loser revoked the winner's chain too."""
    session = await sign_up(api, "two.tabs@example.org")
    first, second = await asyncio.gather(refresh(api, session["refreshToken"]),
                                         refresh(api, session["refreshToken"]))
    for pair in (first, second):
        assert pair["userErrors"] == [], pair
        assert (await api.data(ME, token=pair["accessToken"]))["me"]["user"]["email"] == "two.tabs@example.org"
    # Both new refresh tokens go on working: neither revoked the other.
    for pair in (first, second):
        assert (await refresh(api, pair["refreshToken"]))["userErrors"] == []


async def test_a_reuse_after_the_grace_interval_still_revokes_the_chain(api, settings):
    session = await sign_up(api, "late.reuse@example.org")
    newer = await refresh(api, session["refreshToken"])
    await age_use(session["refreshToken"], settings.refresh_grace_seconds + 1)
    refused = await refresh(api, session["refreshToken"])
    assert codes(refused) == ["INVALID_CREDENTIALS"] and refused["accessToken"] is None
    assert refused["userErrors"][0]["message"] == REFRESH_REUSED
    assert "password" not in refused["userErrors"][0]["message"]  # a used token is not a wrong password
    assert codes(await refresh(api, newer["refreshToken"])) == ["INVALID_CREDENTIALS"]
    assert top_code(await api(ME, token=newer["accessToken"])) == "UNAUTHENTICATED"


async def test_refresh_refusals_say_what_happened(api):
    session = await sign_up(api, "told@example.org")
    unknown = (await refresh(api, "not-a-token"))["userErrors"][0]["message"]
    await api.data("mutation($t: String) { logOut(input: {refreshToken: $t}) { userErrors { code } } }",
                   {"t": session["refreshToken"]}, token=session["accessToken"])
    ended = (await refresh(api, session["refreshToken"]))["userErrors"][0]["message"]
    wrong_password = (await log_in(api, "told@example.org", "not the password 1"))["userErrors"][0]["message"]
    assert len({unknown, ended, wrong_password}) == 3
    assert "ended" in ended and "not known" in unknown


async def test_an_expired_access_token_answers_token_expired_and_a_forged_one_unauthenticated(api, settings):
    session = await sign_up(api, "expired@example.org")
    claims = jwt.decode(session["accessToken"], options={"verify_signature": False})
    past = datetime.now(timezone.utc) - timedelta(hours=2)
    claims.update(iat=int(past.timestamp()), nbf=int(past.timestamp()), exp=int(past.timestamp()) + 60)
    expired = jwt.encode(claims, settings.jwt_secret, algorithm="HS256", headers={"kid": settings.jwt_key_id})
    forged = jwt.encode(claims | {"exp": int(datetime.now(timezone.utc).timestamp()) + 600}, "another key" * 4,
                        algorithm="HS256", headers={"kid": settings.jwt_key_id})
    forged_expired = jwt.encode(claims, "another key" * 4, algorithm="HS256", headers={"kid": settings.jwt_key_id})
    body = await api(ME, token=expired)
    assert top_code(body) == "TOKEN_EXPIRED" and "refresh" in body["errors"][0]["message"]
    assert top_code(await api(ME, token=forged)) == "UNAUTHENTICATED"
    assert top_code(await api(ME, token=forged_expired)) == "UNAUTHENTICATED"
    response = await api.http.post("/graphql", json={"query": ME}, headers={
        "authorization": f"Bearer {expired}", "accept": GRAPHQL_RESPONSE})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert response.json()["errors"][0]["extensions"]["code"] == "TOKEN_EXPIRED"
    response = await api.http.post("/graphql", json={"query": ME}, headers={
        "authorization": f"Bearer {forged}", "accept": GRAPHQL_RESPONSE})
    assert response.status_code == 401 and response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    # application/json keeps the status clients have always seen.
    plain = await api.http.post("/graphql", json={"query": ME}, headers={"authorization": f"Bearer {expired}"})
    assert plain.status_code == 200


@pytest.mark.parametrize("claim", ["sub", "sid", "acc"])
async def test_signed_ids_beyond_bigint_answer_unauthenticated(api, settings, claim):
    session = await sign_up(api, f"huge.{claim}@example.org")
    claims = jwt.decode(session["accessToken"], options={"verify_signature": False})
    claims[claim] = str(2 ** 63)
    token = jwt.encode(claims, settings.jwt_secret, algorithm="HS256", headers={"kid": settings.jwt_key_id})
    body = await api(ME, token=token)
    assert top_code(body) == "UNAUTHENTICATED", body


LOG_IN_BARE = "mutation($input: LogInInput!) { logIn(input: $input) { accessToken } }"


async def test_a_rate_limited_sign_in_answers_429_with_retry_after(api, settings):
    """Where the document selects no userErrors, the refusal is the whole answer: 429.
    (A document that selects them gets RATE_LIMITED there, with data, so 200.)"""
    await sign_up(api, "limited@example.org")
    attempts = settings.rate_limit_per_email_client + 1
    for _ in range(attempts):
        response = await api.http.post("/graphql", headers={"accept": GRAPHQL_RESPONSE}, json={
            "query": LOG_IN_BARE, "variables": {"input": {"email": "limited@example.org", "password": "wrong one 1"}}})
    assert response.status_code == 429, response.text
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert int(response.headers["retry-after"]) == error["extensions"]["retryAfter"] > 0
    response = await api.http.post("/graphql", headers={"accept": GRAPHQL_RESPONSE}, json={
        "query": LOG_IN, "variables": {"input": {"email": "limited@example.org", "password": "wrong one 1"}}})
    assert response.status_code == 200 and int(response.headers["retry-after"]) > 0
    assert [e["code"] for e in response.json()["data"]["logIn"]["userErrors"]] == ["RATE_LIMITED"]


async def test_an_unreachable_redis_answers_service_unavailable_with_retry_after(api, settings):
    
    import httpx

    from api.app import create_app

    app = create_app(settings.replace(redis_url="redis://127.0.0.1:1/0", redis_pool_timeout_seconds=0.5),
                     manage_db=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        response = await http.post("/graphql", headers={"accept": GRAPHQL_RESPONSE}, json={
            "query": LOG_IN, "variables": {"input": {"email": "anyone@example.org", "password": PASSWORD}}})
    assert response.status_code == 503
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "SERVICE_UNAVAILABLE", "retryAfter": 5}
    assert response.headers["retry-after"] == "5"


async def test_a_database_outage_answers_service_unavailable_not_an_internal_error(api, monkeypatch):
    """The database refusing connections (simulated at the driver's door: the client
    raises what asyncpg and sqlite raise for a dead server) is retryable (O6)."""
    session = await sign_up(api, "outage@example.org")
    client = connections.get("default")

    async def refused(*args, **kwargs):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(type(client), "execute_query", refused)
    monkeypatch.setattr(type(client), "execute_query_dict", refused, raising=False)
    if getattr(client, "_pool", None) is not None:  # a request's reads take their pool connection directly
        monkeypatch.setattr(type(client._pool), "acquire", refused)
    for accept, status in ((GRAPHQL_RESPONSE, 503), ("application/json", 503)):
        response = await api.http.post("/graphql", json={"query": ME}, headers={
            "authorization": f"Bearer {session['accessToken']}", "accept": accept})
        assert response.status_code == status, response.text
        assert response.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
        assert response.headers["retry-after"] == "5"
    # A public query whose resolver meets the outage: a top-level error, no data.
    response = await api.http.post("/graphql", headers={"accept": GRAPHQL_RESPONSE}, json={
        "query": LOG_IN, "variables": {"input": {"email": "outage@example.org", "password": PASSWORD}}})
    assert response.status_code == 503, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
