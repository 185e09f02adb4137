"""Known operations, the short way (api/prepared.py, issue 27): every request below is sent
twice to one app, once the short way and once the usual way (strawberry's view and
`Schema.execute` with the extensions), and the two responses must be the same — status,
headers, body — up to what differs between any two requests (the request id, the budget
the first one spent) and the request's log record must say the same."""
from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta, timezone

import httpx
import jwt
import pytest

from api.prepared import MIRRORED, PreparedOperations
from bench.queries import GRAPHQL_PAGE
from tests.conftest import Api
from tests.support.dossiers import add_entry, create_ok, practice, teammate

GRAPHQL_RESPONSE = "application/graphql-response+json"
PAGE_WITH_VARIABLES = """query Page($first: Int, $archived: Boolean) {
  dossiers(first: $first, includeArchived: $archived) { totalCount edges { node { id clientName } } } }"""
ME = "query Me { me { kind user { email } } }"
ADD_NOTE = """mutation Note($input: AddEntryInput!) {
  addEntry(input: $input) { entry { kind body version } userErrors { code message } } }"""
CREATE = """mutation($name: String!) { createDossier(input: {clientName: $name}) {
  dossier { clientName } userErrors { code field message } } }"""
LOG_IN = """mutation($email: String!, $password: String!) { logIn(input: {email: $email, password: $password}) {
  accessToken userErrors { code message } } }"""


@pytest.fixture
def both(db, settings):
    """`send(...)`: the responses of the short way and of the usual way, in that order,
    and whether the short way answered (rather than handing the request on)."""
    from api.app import create_app

    made: dict[tuple, Api] = {}

    def app_for(overrides: dict) -> Api:
        key = tuple(sorted(overrides.items()))
        if key not in made:
            made[key] = Api(create_app(settings.replace(**overrides), manage_db=False))
        return made[key]

    async def send(query: str, variables: dict | None = None, *, token: str | None = None,
                   accept: str = "application/json", operation_name: str | None = None, method: str = "POST",
                   extensions: dict | None = None, **overrides) -> tuple[httpx.Response, httpx.Response, bool]:
        api = app_for(overrides)
        view = api.app.state.graphql
        short_way = view.prepared
        assert short_way is not None
        headers = {"accept": accept}
        if token:
            headers["authorization"] = f"Bearer {token}"
        body: dict = {"query": query, "variables": variables}
        if operation_name:
            body["operationName"] = operation_name
        if extensions is not None:
            body["extensions"] = extensions
        answered = []

        async def one() -> httpx.Response:
            if method == "GET":
                return await api.http.get("/graphql", params={"query": query}, headers=headers)
            return await api.http.post("/graphql", json=body, headers=headers)

        real_execute = short_way.execute

        async def noted(*args, **kwargs):
            answered.append(True)
            return await real_execute(*args, **kwargs)

        short_way.execute = noted
        try:
            short = await one()
        finally:
            del short_way.execute
        view.prepared = None
        try:
            usual = await one()
        finally:
            view.prepared = short_way
        return short, usual, bool(answered)

    return send


def comparable(response: httpx.Response) -> tuple:
    """What two answers to the same request share: the request id and the budget left
    differ between any two requests, and the seconds a refusal names may tick on."""
    body = _digits_in_messages(response.json())
    extensions = body.get("extensions") or {}
    extensions.pop("requestId", None)
    (extensions.get("cost") or {}).pop("budget", None)
    for error in body.get("errors") or ():
        (error.get("extensions") or {}).get("cost", {}).pop("budget", None)
    # The RateLimit field counts down, the echoed clock and a retry's seconds move on:
    # their presence is compared.
    headers = {name: (value if name not in ("ratelimit", "x-casebook-now", "retry-after") else "...")
               for name, value in response.headers.items() if name not in ("x-request-id", "content-length")}
    return response.status_code, headers, body


def _digits_in_messages(value):
    if isinstance(value, dict):
        return {key: re.sub(r"\d+", "N", item) if key == "message" and isinstance(item, str)
                else _digits_in_messages(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_digits_in_messages(item) for item in value]
    return value


async def assert_same(sent: tuple[httpx.Response, httpx.Response, bool], *, short: bool = True) -> dict:
    first, second, answered = sent
    assert answered is short, "the short way answered" if answered else "the short way handed the request on"
    assert comparable(first) == comparable(second)
    return first.json()


async def test_the_dossier_page_answers_alike_for_an_owner_and_a_member(api, both):
    owner = await practice(api)
    dossier = await create_ok(api, owner.token, "Anna Client")
    await add_entry(api, owner.token, dossier, "Seen today.")
    member_token, _ = await teammate(api, owner.account_id, "MEMBER")
    seen = [await assert_same(await both(GRAPHQL_PAGE, token=token)) for token in (owner.token, member_token)]
    assert len(seen[0]["data"]["dossiers"]["edges"]) == 1 and seen[1]["data"]["dossiers"]["edges"] == []
    await assert_same(await both(PAGE_WITH_VARIABLES, {"first": 5, "archived": True}, token=owner.token))
    await assert_same(await both(ME, token=owner.token, operation_name="Me"))


async def test_refusals_and_errors_answer_alike(api, both, settings):
    owner = await practice(api)
    await assert_same(await both("{ __typename }"))
    # Anonymous: UNAUTHENTICATED, 401 in the GraphQL response media type.
    await assert_same(await both(ME))
    await assert_same(await both(ME, accept=GRAPHQL_RESPONSE))
    # Variables that do not coerce: BAD_USER_INPUT before anything runs.
    await assert_same(await both(PAGE_WITH_VARIABLES, {"first": "many"}, token=owner.token))
    await assert_same(await both(PAGE_WITH_VARIABLES, {"first": "many"}, token=owner.token, accept=GRAPHQL_RESPONSE))
    # A page size out of range: INVALID_INPUT from the resolver.
    await assert_same(await both(PAGE_WITH_VARIABLES, {"first": 1000}, token=owner.token))
    # An expired token: TOKEN_EXPIRED, 401 with WWW-Authenticate.
    claims = jwt.decode(owner.token, options={"verify_signature": False})
    past = datetime.now(timezone.utc) - timedelta(hours=2)
    claims.update(iat=int(past.timestamp()), nbf=int(past.timestamp()), exp=int(past.timestamp()) + 60)
    expired = jwt.encode(claims, settings.jwt_secret, algorithm="HS256", headers={"kid": settings.jwt_key_id})
    await assert_same(await both(ME, token=expired, accept=GRAPHQL_RESPONSE))


async def test_cost_refusals_answer_alike(api, both):
    owner = await practice(api)
    # Over the per-request limit: QUERY_TOO_COMPLEX, nothing spent.
    await assert_same(await both(GRAPHQL_PAGE, token=owner.token, query_cost_limit=50))
    # Beyond the budget: RATE_LIMITED with when to retry (both refused: the first spent nothing).
    body = await assert_same(await both(GRAPHQL_PAGE, token=owner.token, cost_budget_points=100,
                                        cost_budget_restore_per_second=1))
    assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_an_unexpected_error_is_masked_and_logged_alike(api, both, monkeypatch, caplog):
    owner = await practice(api)

    async def broken(*args, **kwargs):
        raise RuntimeError("the SQL and the stack trace a client must never see")

    monkeypatch.setattr("schema.dossiers.queries.visible_dossiers", broken)
    monkeypatch.setattr(logging.getLogger("strawberry.execution"), "disabled", False)
    caplog.set_level(logging.ERROR, logger="strawberry.execution")
    with caplog.at_level(logging.ERROR, logger="casebook.api"):
        body = await assert_same(await both(GRAPHQL_PAGE, token=owner.token))
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    logged = [r for r in caplog.records if r.getMessage().startswith("unexpected error in dossiers")]
    assert len(logged) == 2 and all(r.exc_info for r in logged)
    # strawberry's own log of each error, before masking (production turns it off: api/logging.py).
    assert len([r for r in caplog.records if r.name == "strawberry.execution"]) == 2


async def test_the_request_record_says_the_same(api, both, caplog):
    owner = await practice(api)
    with caplog.at_level(logging.INFO, logger="casebook.request"):
        await assert_same(await both(PAGE_WITH_VARIABLES, {"first": "many"}, token=owner.token))
        await assert_same(await both(GRAPHQL_PAGE, token=owner.token))
    records = [r.fields for r in caplog.records if r.name == "casebook.request"]
    assert len(records) == 4
    for short, usual in (records[0:2], records[2:4]):
        varying = ("request_id", "duration_ms", "trace_id")
        assert {k: v for k, v in short.items() if k not in varying} == \
            {k: v for k, v in usual.items() if k not in varying}
    assert records[0]["errors"] == ["BAD_USER_INPUT"] and records[2]["operation"] == "query dossiers"
    assert records[2]["principal_kind"] is not None


async def test_mutations_answer_alike(api, both):
    owner = await practice(api)
    dossier = await create_ok(api, owner.token, "Anna Client")
    body = await assert_same(await both(ADD_NOTE, {"input": {"dossierId": dossier, "kind": "NOTE", "body": "Seen."}},
                                        token=owner.token, operation_name="Note"))
    assert body["data"]["addEntry"] == {"entry": {"kind": "NOTE", "body": "Seen.", "version": 1}, "userErrors": []}
    created = await assert_same(await both(CREATE, {"name": "Bert Client"}, token=owner.token))
    assert created["data"]["createDossier"]["dossier"] == {"clientName": "Bert Client"}
    # A refusal in the payload, and one of the door (no principal: UNAUTHENTICATED).
    refused = await assert_same(await both(CREATE, {"name": " "}, token=owner.token))
    assert refused["data"]["createDossier"]["userErrors"][0]["code"] == "INVALID_INPUT"
    await assert_same(await both(CREATE, {"name": "Carla Client"}))
    await assert_same(await both(CREATE, {"name": "Carla Client"}, accept=GRAPHQL_RESPONSE))
    # A dossier the caller cannot see is NOT_FOUND, as any other.
    stranger = await practice(api)
    await assert_same(await both(ADD_NOTE, {"input": {"dossierId": dossier, "kind": "NOTE", "body": "Nosy."}},
                                 token=stranger.token))


async def test_a_door_s_refusal_goes_into_the_mutation_s_payload_alike(api, both):
    """logIn's throttle (auth/rate_limit.py) refuses at the door; the refusal is moved
    into the payload with Retry-After (api/refusals.py) both ways."""
    owner = await practice(api)
    throttle = {"rate_limit_per_email_client": 2, "rate_limit_window_seconds": 10 ** 9}
    wrong = {"email": owner.owner_email, "password": "not the password"}
    first = await assert_same(await both(LOG_IN, wrong, **throttle))  # the two attempts the window allows
    assert first["data"]["logIn"]["userErrors"][0]["code"] == "INVALID_CREDENTIALS"
    short, usual, _ = sent = await both(LOG_IN, wrong, **throttle)
    body = await assert_same(sent)
    assert body["data"]["logIn"]["userErrors"][0]["code"] == "RATE_LIMITED" and "errors" not in body
    assert short.headers["retry-after"] and usual.headers["retry-after"]


async def test_a_mutation_over_the_budget_is_refused_in_its_payload_alike(api, both):
    owner = await practice(api)
    body = await assert_same(await both(CREATE, {"name": "Dora Client"}, token=owner.token, cost_budget_points=1,
                                        cost_budget_restore_per_second=1))
    assert body["data"]["createDossier"]["userErrors"][0]["code"] == "RATE_LIMITED"
    assert body["data"]["createDossier"]["dossier"] is None


@pytest.mark.parametrize("request_kind", ["subscription", "mutation over GET", "GET", "persisted", "long",
                                          "does not parse", "invalid", "two operations", "unknown operation"])
async def test_anything_else_takes_the_usual_way(api, both, request_kind):
    owner = await practice(api)
    sent = {
        "subscription": lambda: both("subscription { __typename }", token=owner.token),
        "mutation over GET": lambda: both('mutation { createDossier(input: {clientName: ""}) { userErrors { code } } }',
                                          token=owner.token, method="GET"),
        "GET": lambda: both(ME, token=owner.token, method="GET"),
        "persisted": lambda: both(ME, token=owner.token, extensions={"persistedQuery": {
            "version": 1, "sha256Hash": "0" * 64}}),
        "long": lambda: both("# " + "x" * 33_000 + "\n" + ME, token=owner.token),
        "does not parse": lambda: both("{ viewer { ", token=owner.token),
        "invalid": lambda: both("{ viewer { noSuchField } }", token=owner.token),
        "two operations": lambda: both("query A { __typename } query B { __typename }", token=owner.token),
        "unknown operation": lambda: both(ME, token=owner.token, operation_name="Other"),
    }[request_kind]
    await assert_same(await sent(), short=False)


def test_the_short_way_mirrors_the_schema_s_extensions(settings):
    """A new extension in api.app.graphql_extensions must be mirrored in api/prepared.py
    (or the short way is off): this fails until it is."""
    from api.app import create_app

    app = create_app(settings, manage_db=False)
    assert app.state.graphql.prepared is not None
    assert tuple(type(make()) for make in app.state.graphql.schema.extensions) == MIRRORED
    traced = app.state.graphql.schema
    assert PreparedOperations.for_schema(type("Traced", (), {"extensions": (*traced.extensions, object)})(),
                                         settings) is None


@pytest.mark.parametrize("failure, code, status", [
    (ConnectionRefusedError(111, "Connect call failed ('10.0.0.5', 5432)"), "SERVICE_UNAVAILABLE", 503),
    (RuntimeError("a bug in the counter, with a secret"), "INTERNAL_SERVER_ERROR", 500),
])
async def test_a_failing_budget_counter_is_masked_alike(api, both, monkeypatch, caplog, failure, code, status):
    """The budget's counter failing while a request is priced: an outage is retryable, any
    other failure masked and logged with its traceback; its text never reaches the
    client, either way (before, strawberry answered it uncoded and unlogged)."""
    async def failing(*args, **kwargs):
        raise failure

    monkeypatch.setattr("api.budget._spend_in_database", failing)
    budget = {"cost_budget_anonymous_points": 100, "cost_budget_points": 100}
    with caplog.at_level(logging.WARNING, logger="casebook.api"):
        body = await assert_same(await both("{ __typename }", **budget))
        await assert_same(await both("{ __typename }", accept=GRAPHQL_RESPONSE, **budget))
    assert [error["extensions"]["code"] for error in body["errors"]] == [code]
    assert "10.0.0.5" not in str(body) and "secret" not in str(body)
    first, _, _ = await both("{ __typename }", accept=GRAPHQL_RESPONSE, **budget)
    assert first.status_code == status
    if code == "INTERNAL_SERVER_ERROR":
        assert any(r.exc_info and r.exc_info[1] is failure for r in caplog.records)
