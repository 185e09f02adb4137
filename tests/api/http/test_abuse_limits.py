"""GraphQL abuse limits (OWASP GraphQL cheat sheet): depth, aliases, tokens,
directives, query cost, page size, body size, batching, introspection, suggestions,
error masking, CSRF and CORS."""
from __future__ import annotations

import logging

import pytest
from graphql import build_schema, parse

from api.cost import query_cost
from api.abuse_limits import MAX_ALIASES, MAX_DEPTH, MAX_DIRECTIVES
from infra.settings import Environment
from tests.conftest import Api
from tests.support.flows import sign_up


@pytest.fixture
def make_api(db, settings):
    """An API client over an app built with some settings changed."""
    from api.app import create_app

    clients = []

    def make(**overrides):
        client = Api(create_app(settings.replace(**overrides), manage_db=False))
        clients.append(client)
        return client

    yield make


def codes(body: dict) -> list[str]:
    return [(error.get("extensions") or {}).get("code") for error in body.get("errors") or []]


# --- depth, aliases, tokens, directives -------------------------------------------------

async def test_a_query_deeper_than_the_limit_is_refused_before_it_runs(api):
    # Viewer.shares -> Share.dossier -> Dossier.shares -> … is a cycle of the contract.
    chain = ["me"] + ["shares", "dossier"] * (MAX_DEPTH // 2) + ["id"]
    body = await api("{ " + " { ".join(chain) + " }" * len(chain))
    assert body["data"] is None
    assert any("exceeds maximum operation depth" in e["message"] for e in body["errors"])


async def test_a_query_within_the_depth_limit_is_validated_normally(api):
    body = await api("{ me { shares { dossier { shares { id } } } } }")
    assert codes(body) == ["UNAUTHENTICATED"]  # it ran: depth was not the problem


async def test_more_aliases_than_the_limit_are_refused(api):
    fields = " ".join(f"a{i}: __typename" for i in range(MAX_ALIASES + 1))
    body = await api("{ " + fields + " }")
    assert body["data"] is None
    assert "aliases" in body["errors"][0]["message"].lower()


async def test_a_document_with_too_many_tokens_is_refused_at_parsing(api):
    body = await api("{ " + " ".join(["__typename"] * 2001) + " }")
    assert body["data"] is None
    assert "more than 2000 tokens" in body["errors"][0]["message"]


async def test_directive_overloading_is_refused(api):
    fields = " ".join(f"f{i}: __typename @include(if: true)" for i in range(MAX_DIRECTIVES + 1))
    body = await api("{ " + fields + " }")
    assert body["data"] is None
    assert any("directives" in e["message"] for e in body["errors"])
    within = " ".join(f"f{i}: __typename @include(if: true)" for i in range(MAX_DIRECTIVES))
    assert (await api.data("{ " + within + " }"))["f0"] == "Query"


# --- query cost -------------------------------------------------------------------------

CONTRACT = build_schema("""
interface Node { id: ID! }
type Query { dossiers(first: Int, after: String): DossierConnection!  node(id: ID!): Node  me: Viewer! }
type Mutation { addEntry(dossierId: ID!): EntryPayload! }
type Viewer { shares: [Share!]! }
type DossierConnection { edges: [DossierEdge!]!  pageInfo: PageInfo! }
type DossierEdge { cursor: String!  node: Dossier! }
type PageInfo { hasNextPage: Boolean! }
type Dossier implements Node { id: ID!  clientName: String!
  entries(first: Int, after: String): EntryConnection!  shares: [Share!]!  assignees: [Teammate!]! }
type EntryConnection { edges: [EntryEdge!]!  pageInfo: PageInfo! }
type EntryEdge { cursor: String!  node: Entry! }
type Entry implements Node { id: ID!  body: String!  author: Author! }
type Author { email: String! }
type Share implements Node { id: ID!  email: String!  dossier: Dossier }
type Teammate implements Node { id: ID! }
type EntryPayload { entry: Entry  userErrors: [UserError!]! }
type UserError { code: String! }
""")


def cost(query: str, variables: dict | None = None) -> int:
    return query_cost(CONTRACT, parse(query), None, variables)


def test_the_documented_example_costs_1651():
    assert cost("""{ dossiers(first: 50) { edges { node { entries(first: 5) { edges { node {
        author { email } } } } shares { email } assignees { id } } } } }""") == 1651


def test_cost_counts_objects_not_scalars_and_defaults_first_to_20():
    assert cost("{ dossiers { edges { node { id clientName } } } }") == 1 + 20 * 2
    assert cost("{ dossiers { pageInfo { hasNextPage } } }") == 1 + 20 * 1
    assert cost("{ me { shares { id dossier { id } } } }") == 1 + 10 * (1 + 1)


def test_cost_reads_first_from_variables_and_caps_it_at_100():
    query = "query($n: Int) { dossiers(first: $n) { edges { node { id } } } }"
    assert cost(query, {"n": 3}) == 1 + 3 * 2
    assert cost(query, {"n": 10_000}) == 1 + 100 * 2


def test_cost_prices_fragments_and_the_dearest_type_condition():
    query = """{ node(id: "x") { ...D ... on Share { dossier { id } } } }
               fragment D on Dossier { entries(first: 10) { edges { node { author { email } } } } }"""
    assert cost(query) == 1 + (1 + 10 * 3)


def test_a_mutation_costs_a_base_plus_its_payload():
    assert cost('mutation { addEntry(dossierId: "x") { entry { author { email } } userErrors { code } } }') == 10 + 2 + 10


async def test_every_response_reports_its_cost_and_the_limit(api):
    body = await api("{ me { user { id } } }")
    assert body["extensions"]["cost"] == {"requested": 2, "limit": 5000}  # no budget set (tests/conftest.py)


async def test_a_query_over_the_budget_is_refused_with_query_too_complex_and_does_not_run(make_api):
    api = make_api(query_cost_limit=5)
    body = await api("""mutation($input: SignUpInput!) { signUp(input: $input) { accessToken } }""",
                     {"input": {"email": "x@example.org", "password": "correct horse 42",
                                "name": "X", "accountName": "X"}})
    assert body["data"] is None
    assert codes(body) == ["QUERY_TOO_COMPLEX"]
    assert body["errors"][0]["extensions"]["cost"] == {"requested": 10, "limit": 5}
    assert "requestId" in body["extensions"]
    from domain.accounts.models import User

    assert await User.all().count() == 0  # nothing executed


async def test_nested_pages_of_100_exceed_the_default_budget(api):
    owner = await sign_up(api)
    body = await api("""{ me { shares { dossier { entries(first: 100) { edges { node {
        revisions { author { email } } } } } } } } }""", token=owner["accessToken"])
    assert body["data"] is None
    assert codes(body) == ["QUERY_TOO_COMPLEX"]
    assert body["errors"][0]["extensions"]["cost"]["requested"] > 5000


async def test_first_above_100_is_refused(api):
    owner = await sign_up(api)
    body = await api("{ account { auditLog(first: 101) { edges { cursor } } } }", token=owner["accessToken"])
    assert "INVALID_INPUT" in codes(body)


# --- introspection, suggestions, masking --------------------------------------------------

async def test_introspection_is_off_in_production_and_on_elsewhere(make_api, api):
    query = "{ __schema { queryType { name } } }"
    assert (await api.data(query))["__schema"]["queryType"]["name"] == "Query"
    production = make_api(env=Environment.PRODUCTION)
    body = await production(query)
    assert body["data"] is None and "introspection" in body["errors"][0]["message"].lower()


async def test_no_field_suggestions_are_given(api):
    body = await api("{ mee }")
    assert "Did you mean" not in body["errors"][0]["message"]


async def test_an_internal_error_is_masked_with_a_request_id_and_logged(api, monkeypatch, caplog):
    async def broken(*args, **kwargs):
        raise RuntimeError('relation "user" violates constraint: SELECT password_hash FROM "user"')

    monkeypatch.setattr("domain.identity.sessions.log_in", broken)
    with caplog.at_level(logging.ERROR, logger="casebook.api"):
        response = await api.http.post("/graphql", json={
            "query": 'mutation { logIn(input: {email: "a@example.org", password: "pw"}) { accessToken } }'})
    body = response.json()
    assert response.status_code == 200
    assert body["errors"][0]["message"].startswith("Internal error")
    assert codes(body) == ["INTERNAL_SERVER_ERROR"]
    assert body["extensions"]["requestId"] == response.headers["x-request-id"]
    for leak in ("SELECT", "password_hash", "Traceback", "RuntimeError"):
        assert leak not in response.text
    assert any("password_hash" in (r.exc_text or "") or r.exc_info for r in caplog.records)


async def test_expected_error_codes_are_kept(api):
    body = await api("{ me { user { id } } }")
    assert codes(body) == ["UNAUTHENTICATED"]
    assert body["errors"][0]["message"].startswith("Sign in")


# --- HTTP: body size, batching, CSRF, CORS -------------------------------------------------

async def test_a_body_over_the_size_limit_is_refused_with_413(make_api):
    api = make_api(max_request_bytes=1000)
    response = await api.http.post("/graphql", json={"query": "{ __typename }", "variables": {"x": "y" * 2000}})
    assert response.status_code == 413
    assert (await api.http.post("/graphql", json={"query": "{ __typename }"})).status_code == 200


async def test_the_default_body_limit_comes_from_settings(settings):
    assert settings.max_request_bytes == 256 * 1024


async def test_batched_requests_are_refused_with_400(api):
    response = await api.http.post("/graphql", json=[{"query": "{ __typename }"}, {"query": "{ __typename }"}])
    assert response.status_code == 400


@pytest.mark.parametrize("content_type, content", [
    ("application/x-www-form-urlencoded", "query=%7B__typename%7D"),
    ("multipart/form-data; boundary=x", '--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n{__typename}\r\n--x--\r\n'),
    ("text/plain", '{"query": "{ __typename }"}'),
])
async def test_simple_form_posts_are_refused_with_415(api, content_type, content):
    response = await api.http.post("/graphql", content=content, headers={"content-type": content_type})
    assert response.status_code == 415


async def test_queries_may_use_get_but_mutations_may_not(api):
    ok = await api.http.get("/graphql", params={"query": "{ __typename }"})
    assert ok.status_code == 200 and ok.json()["data"] == {"__typename": "Query"}
    refused = await api.http.get("/graphql", params={
        "query": 'mutation { logOut(input: {refreshToken: "x"}) { userErrors { code } } }'})
    assert refused.status_code in (400, 405)


async def test_cors_preflight_allows_only_configured_origins(make_api):
    api = make_api(cors_origins=("https://app.example.org",))
    headers = {"access-control-request-method": "POST", "access-control-request-headers": "content-type,authorization"}
    allowed = await api.http.options("/graphql", headers={"origin": "https://app.example.org", **headers})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://app.example.org"
    refused = await api.http.options("/graphql", headers={"origin": "https://evil.example", **headers})
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
