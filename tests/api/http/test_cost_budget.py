"""The query-cost budget (API.md "Third release: Cost budget and rate-limit
information"): each principal and each anonymous client spends points from a bucket that
refills; every response reports what is left in `extensions.cost.budget` and the IETF
RateLimit header fields; a request the budget cannot cover is refused before it runs
with RATE_LIMITED and when to retry — a mutation in its payload's userErrors."""
from __future__ import annotations


import httpx
import pytest

from domain.dossiers.models import Dossier
from tests.conftest import Api
from tests.support.dossiers import practice

NOW = "2026-04-10T09:00:00+02:00"
NINETEEN = "{ dossiers(first: 19) { nodes { id } } }"  # 1 + 19 × 1 = 20 points
CREATE = """mutation($name: String!) { createDossier(input: {clientName: $name}) {
  __typename dossier { id } userErrors { code message field } } }"""


@pytest.fixture
def budgeted(db, settings):
    """An API client whose principals have 50 points restoring 1 a second (so nothing
    restores a whole request within a test), from one client address."""
    from api.app import create_app

    clients = []

    def make(address: str = "10.9.9.9", **overrides) -> Api:
        overrides = {"cost_budget_points": 50, "cost_budget_restore_per_second": 1,
                     "cost_budget_anonymous_points": 30, "cost_budget_anonymous_restore_per_second": 1, **overrides}
        client = Api(create_app(settings.replace(**overrides), manage_db=False))
        client.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=client.app, client=(address, 40000)),
                                        base_url="http://test")
        clients.append(client)
        return client

    return make


async def _post(api: Api, query: str, token: str | None = None, accept: str = "application/json",
                variables: dict | None = None) -> httpx.Response:
    headers = {"accept": accept, "x-casebook-now": NOW}
    if token:
        headers["authorization"] = f"Bearer {token}"
    return await api.http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)


async def test_each_response_reports_the_budget_in_extensions_and_ratelimit_fields(budgeted):
    api = budgeted()
    owner = await practice(api, now=NOW)  # signing up spends from the address's anonymous bucket
    response = await _post(api, NINETEEN, owner.token)
    assert response.json()["extensions"]["cost"] == {
        "requested": 20, "limit": 5000, "budget": {"max": 50, "remaining": 30, "restorePerSecond": 1}}
    assert response.headers["ratelimit-policy"] == '"cost";q=50;w=50'
    assert response.headers["ratelimit"] in ('"cost";r=30;t=20', '"cost";r=30;t=19')


async def test_a_client_that_spends_its_budget_is_refused_with_retry_after(budgeted):
    api = budgeted(cost_budget_points=500)
    owner = await practice(api, now=NOW)
    dear = "{ dossiers(first: 99) { nodes { id } } }"  # 100 points
    for _ in range(4):
        assert "errors" not in (await _post(api, dear, owner.token)).json()
    refused = await _post(api, "{ a: dossiers(first: 99) { nodes { id } } b: dossiers(first: 99) { nodes { id } } }",
                          owner.token)  # 200 points, 100 left (and a second's point or two back)
    body = refused.json()
    assert refused.status_code == 200 and body["data"] is None
    error = body["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert 80 <= error["extensions"]["retryAfter"] <= 100  # about 100 points short, 1 a second back
    assert refused.headers["retry-after"] == str(error["extensions"]["retryAfter"])
    left = int(refused.headers["ratelimit"].split("r=")[1].split(";")[0])
    assert 100 <= left <= 120
    strict = await _post(api, "{ a: dossiers(first: 99) { nodes { id } } b: dossiers(first: 99) { nodes { id } } }",
                         owner.token, accept="application/graphql-response+json")
    assert strict.status_code == 429 and "data" not in strict.json()
    assert strict.headers["retry-after"]
    assert "errors" not in (await _post(api, dear, owner.token)).json()  # what is left still serves


async def test_a_refused_mutation_answers_rate_limited_in_its_payload_and_writes_nothing(budgeted):
    api = budgeted(cost_budget_points=40)
    owner = await practice(api, now=NOW)
    await _post(api, "{ dossiers(first: 29) { nodes { id } } }", owner.token)  # 30 of 40 points
    response = await _post(api, CREATE, owner.token, variables={"name": "Ada"})  # 10 + 10 × 1 + 1 = 21
    payload = response.json()["data"]["createDossier"]
    assert payload["__typename"] == "DossierPayload" and payload["dossier"] is None
    assert [e["code"] for e in payload["userErrors"]] == ["RATE_LIMITED"]
    assert "retry in" in payload["userErrors"][0]["message"] and payload["userErrors"][0]["field"] is None
    assert response.headers["retry-after"]
    assert await Dossier.all().count() == 0


async def test_principals_and_anonymous_clients_have_buckets_of_their_own(budgeted):
    api = budgeted(cost_budget_anonymous_points=60)
    first, second = await practice(api, now=NOW), await practice(api, now=NOW)  # 2 × 23 anonymous points
    for _ in range(2):
        await _post(api, NINETEEN, first.token)
    assert (await _post(api, NINETEEN, first.token)).json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert "errors" not in (await _post(api, NINETEEN, second.token)).json()  # another person
    anonymous = (await _post(api, "{ catalog { currency } }")).json()
    assert 13 <= anonymous["extensions"]["cost"]["budget"]["remaining"] <= 25  # the address's own: 60 - 2 × 23 - 1
    elsewhere = budgeted(address="10.8.8.8", cost_budget_anonymous_points=60)
    fresh = (await _post(elsewhere, "{ catalog { currency } }")).json()["extensions"]["cost"]["budget"]
    assert fresh == {"max": 60, "remaining": 59, "restorePerSecond": 1}


async def test_no_budget_when_its_points_are_zero(budgeted):
    api = budgeted(cost_budget_points=0)
    owner = await practice(api, now=NOW)
    response = await _post(api, NINETEEN, owner.token)
    assert response.json()["extensions"]["cost"] == {"requested": 20, "limit": 5000}
    assert "ratelimit" not in response.headers


async def test_a_sign_in_door_s_refusal_comes_in_the_payload_when_it_selects_user_errors(budgeted):
    """API.md: RATE_LIMITED "also as a userError where a payload can carry it" — with
    Retry-After; a document that does not ask for userErrors keeps the top-level error."""
    from tests.support.flows import LOG_IN, sign_up

    api = budgeted(rate_limit_per_email_client=1, rate_limit_window_seconds=10**9, cost_budget_points=0,
                   cost_budget_anonymous_points=0)
    await sign_up(api, "door@example.org")
    wrong = {"input": {"email": "door@example.org", "password": "wrong password 1"}}
    first = await _post(api, LOG_IN, variables=wrong)
    assert first.json()["data"]["logIn"]["userErrors"][0]["code"] == "INVALID_CREDENTIALS"
    refused = await _post(api, LOG_IN, variables=wrong)
    body = refused.json()
    assert "errors" not in body and body["data"]["logIn"]["accessToken"] is None
    assert [e["code"] for e in body["data"]["logIn"]["userErrors"]] == ["RATE_LIMITED"]
    assert int(refused.headers["retry-after"]) >= 1
    bare = await _post(api, """mutation($input: LogInInput!) { logIn(input: $input) { accessToken } }""",
                       variables=wrong)
    assert [e["extensions"]["code"] for e in bare.json()["errors"]] == ["RATE_LIMITED"]
    extensions = bare.json()["errors"][0]["extensions"]
    assert extensions["retryAfter"] == extensions["retryAfterSeconds"] >= 1


async def test_spending_is_one_statement_where_no_redis_holds_the_budget(budgeted):
    from tests.support.statements import statements_of

    api = budgeted()
    owner = await practice(api, now=NOW)
    api.differential = False
    sent = await statements_of(api, "{ __typename }", token=owner.token)
    spent = [s.split()[0:3] for s in sent if "cost_budget" in s and not s.startswith("DELETE")]  # an occasional prune aside
    assert spent == [["INSERT", "INTO", "cost_budget"]]


async def test_a_request_whose_clock_reading_came_before_the_buckets_still_gets_its_share(db, settings):
    """Two processes read their clocks, then reach the bucket in the other order (CI saw a
    burst of exactly the budget admit one request fewer than it paid for): the bucket's
    time never runs backwards, so the older reading is counted at the bucket's time."""
    from datetime import datetime, timedelta, timezone

    from api.budget import Allowance, spend

    database = settings.replace(redis_url="")
    allowance, before = Allowance(points=100, restore_per_second=1), datetime(2026, 4, 10, 7, tzinfo=timezone.utc)
    first = await spend(database, "cost:clocks", allowance, 10, before + timedelta(milliseconds=5))
    rest = [await spend(database, "cost:clocks", allowance, 10, before) for _ in range(9)]
    assert [s.admitted for s in [first, *rest]] == [True] * 10
    assert rest[-1].remaining == 0
    over = await spend(database, "cost:clocks", allowance, 10, before)
    assert not over.admitted and over.retry_after == 10
