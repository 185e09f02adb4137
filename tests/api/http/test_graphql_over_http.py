"""GraphQL over HTTP (API.md "Transport and errors"): the checks of the `graphql-http`
audit suite (npm graphql-http 1.23.1, `serverAudits`), reproduced one by one so that CI
does not depend on the npm registry. Every audit must pass in test mode: MUST (errors),
SHOULD (warnings) and MAY (notices) alike. Ids and names are the audit's own."""
from __future__ import annotations

import json
from typing import Any

import pytest

from infra.settings import Environment
from tests.conftest import Api

GQL = "application/graphql-response+json"
JSON_ = "application/json"


class Audit:
    def __init__(self, audit_id: str, name: str, *, method: str = "POST", accept: str | None = None,
                 content_type: str | None = "application/json", body: Any = None, raw: str | None = None,
                 params: dict | None = None, status: int | tuple[int, int] | None = 200,
                 content_type_contains: str | None = None, errors: bool | None = None,
                 no_data: bool = False) -> None:
        self.id, self.name, self.method = audit_id, name, method
        self.accept, self.content_type, self.params = accept, content_type, params
        self.content = raw if raw is not None else (json.dumps(body) if body is not None else None)
        self.status, self.content_type_contains = status, content_type_contains
        self.errors, self.no_data = errors, no_data

    def __repr__(self) -> str:
        return f"{self.id} {self.name}"


TYPENAME = {"query": "{ __typename }"}
TYPE_QUERY = "query Type($name: String!) { __type(name: $name) { name } }"
INVALID = [({"obj": "ect"}, "object"), (0, "number"), (False, "boolean"), (["array"], "array")]
INVALID_MAP = [("string", "string"), (0, "number"), (False, "boolean"), (["array"], "array")]
UNKNOWN_FIELD = {"query": "{ 8f31403dfe404bccbb0e835f2629c6a7 }"}
COERCE = {"query": "query CoerceFailure($id: ID!){ __typename }", "variables": {"id": None}}

AUDITS = [
    Audit("22EB", "SHOULD accept application/graphql-response+json and match the content-type",
          accept=GQL, body=TYPENAME, content_type_contains=GQL),
    Audit("4655", "MUST accept application/json and match the content-type",
          accept=JSON_, body=TYPENAME, content_type_contains=JSON_),
    Audit("47DE", "SHOULD accept */* and use application/json for the content-type",
          accept="*/*", body=TYPENAME, content_type_contains=JSON_),
    Audit("80D8", "SHOULD assume application/json content-type when accept is missing",
          body=TYPENAME, content_type_contains=JSON_),
    Audit("82A3", "MUST use utf-8 encoding when responding", body=TYPENAME),
    Audit("BF61", "MUST accept utf-8 encoded request", content_type="application/json; charset=utf-8",
          body={"query": '{ __type(name: "Run🏃Swim🏊") { name } }'}),
    Audit("78D5", "MUST assume utf-8 in request if encoding is unspecified", body=TYPENAME),
    Audit("2C94", "MUST accept POST requests", body=TYPENAME),
    Audit("5A70", "MAY accept application/x-www-form-urlencoded formatted GET requests",
          method="GET", content_type=None, params=TYPENAME),
    Audit("9C48", "MAY NOT allow executing mutations on GET requests", method="GET", content_type=None,
          accept=GQL, params={"query": "mutation { __typename }"}, status=(400, 499)),
    Audit("9ABE", "SHOULD respond with 4xx status code if content-type is not supplied on POST requests",
          content_type=None, body=TYPENAME, status=(400, 499)),
    Audit("03D4", "MUST accept application/json POST requests", body=TYPENAME),
    Audit("A5BF", "MAY use 400 status code when request body is missing on POST", status=400),
    Audit("423L", "MAY use 400 status code on missing {query} parameter", accept=GQL,
          body={"notquery": "{ __typename }"}, status=400),
    *[Audit(f"LKJ{i}", f"MAY use 400 status code on {kind} {{query}} parameter", body={"query": value}, status=400)
      for i, (value, kind) in enumerate(INVALID)],
    Audit("34A2", "SHOULD allow string {query} parameter when accepting application/graphql-response+json",
          accept=GQL, body=TYPENAME),
    Audit("13EE", "MUST allow string {query} parameter when accepting application/json",
          accept=JSON_, body=TYPENAME, errors=False),
    *[Audit(f"6C0{i}", f"MAY use 400 status code on {kind} {{operationName}} parameter",
            body={"operationName": value, "query": "{ __typename }"}, status=400)
      for i, (value, kind) in enumerate(INVALID)],
    Audit("8161", "SHOULD allow string {operationName} parameter when accepting application/graphql-response+json",
          accept=GQL, body={"operationName": "Query", "query": "query Query { __typename }"}),
    Audit("B8B3", "MUST allow string {operationName} parameter when accepting application/json",
          accept=JSON_, body={"operationName": "Query", "query": "query Query { __typename }"}, errors=False),
    *[audit for i, parameter in enumerate(["variables", "operationName", "extensions"]) for audit in (
        Audit(f"94B{i}", f"SHOULD allow null {{{parameter}}} parameter when accepting "
                         "application/graphql-response+json",
              accept=GQL, body={"query": "{ __typename }", parameter: None}, errors=False),
        Audit(f"022{i}", f"MUST allow null {{{parameter}}} parameter when accepting application/json",
              accept=JSON_, body={"query": "{ __typename }", parameter: None}, errors=False))],
    *[Audit(f"476{i}", f"MAY use 400 status code on {kind} {{variables}} parameter",
            body={"query": "{ __typename }", "variables": value}, status=400)
      for i, (value, kind) in enumerate(INVALID_MAP)],
    Audit("2EA1", "SHOULD allow map {variables} parameter when accepting application/graphql-response+json",
          accept=GQL, body={"query": TYPE_QUERY, "variables": {"name": "sometype"}}),
    Audit("28B9", "MUST allow map {variables} parameter when accepting application/json",
          accept=JSON_, body={"query": TYPE_QUERY, "variables": {"name": "sometype"}}, errors=False),
    Audit("D6D5", "MAY allow URL-encoded JSON string {variables} parameter in GETs when accepting "
                  "application/graphql-response+json", method="GET", content_type=None, accept=GQL,
          params={"query": TYPE_QUERY, "variables": json.dumps({"name": "sometype"})}, errors=False),
    Audit("6A70", "MAY allow URL-encoded JSON string {variables} parameter in GETs when accepting "
                  "application/json", method="GET", content_type=None, accept=JSON_,
          params={"query": TYPE_QUERY, "variables": json.dumps({"name": "sometype"})}, errors=False),
    *[Audit(f"58B{i}", f"MAY use 400 status code on {kind} {{extensions}} parameter",
            body={"query": "{ __typename }", "extensions": value}, status=400)
      for i, (value, kind) in enumerate(INVALID_MAP)],
    Audit("428F", "SHOULD allow map {extensions} parameter when accepting application/graphql-response+json",
          accept=GQL, body={"query": "{ __typename }", "extensions": {"some": "value"}}),
    Audit("1B7A", "MUST allow map {extensions} parameter when accepting application/json",
          accept=JSON_, body={"query": "{ __typename }", "extensions": {"some": "value"}}, errors=False),
    Audit("B6DC", "MAY use 2xx, 4xx, or 5xx status codes on JSON parsing failure when accepting application/json",
          accept=JSON_, raw='{ "not a JSON', status=(200, 599)),
    Audit("BCF8", "SHOULD use 400 status code on JSON parsing failure when accepting application/json",
          accept=JSON_, raw='{ "not a JSON', status=400),
    Audit("B7N8", "SHOULD use 400 status code on JSON parsing failure when accepting "
                  "application/graphql-response+json", accept=GQL, raw='{ "not a JSON', status=400),
    Audit("8764", "MAY use 4xx or 5xx status codes if parameters are invalid",
          body={"qeury": "{ __typename }"}, status=(400, 599)),
    Audit("3E3A", "MAY use 400 status code if parameters are invalid", body={"qeury": "{ __typename }"}, status=400),
    Audit("572B", "SHOULD use 200 status code on document parsing failure when accepting application/json",
          accept=JSON_, body={"query": "{"}),
    Audit("FDE2", "SHOULD use 200 status code on document validation failure when accepting application/json",
          accept=JSON_, body=UNKNOWN_FIELD),
    Audit("7B9B", "SHOULD use a status code of 200 on variable coercion failure when accepting application/json",
          accept=JSON_, body=COERCE),
    Audit("865D", "SHOULD use 4xx or 5xx status codes on document parsing failure when accepting "
                  "application/graphql-response+json", accept=GQL, body={"query": "{"}, status=(400, 599)),
    Audit("556A", "SHOULD use 400 status code on document parsing failure when accepting "
                  "application/graphql-response+json", accept=GQL, body={"query": "{"}, status=400),
    Audit("D586", "SHOULD not contain the data entry on document parsing failure when accepting "
                  "application/graphql-response+json", accept=GQL, body={"query": "{"}, status=None, no_data=True),
    Audit("51FE", "SHOULD use 4xx or 5xx status codes on document validation failure when accepting "
                  "application/graphql-response+json", accept=GQL, body=UNKNOWN_FIELD, status=(400, 599)),
    Audit("74FF", "SHOULD use 400 status code on document validation failure when accepting "
                  "application/graphql-response+json", accept=GQL, body=UNKNOWN_FIELD, status=400),
    Audit("5E5B", "SHOULD not contain the data entry on document validation failure when accepting "
                  "application/graphql-response+json", accept=GQL, body=UNKNOWN_FIELD, status=None, no_data=True),
    Audit("86EE", "SHOULD use a status code of 400 on variable coercion failure when accepting "
                  "application/graphql-response+json", accept=GQL, body=COERCE, status=400),
]


async def run_audit(api: Api, audit: Audit) -> None:
    headers = {}
    if audit.accept:
        headers["accept"] = audit.accept
    if audit.content_type:
        headers["content-type"] = audit.content_type
    if audit.method == "GET":
        response = await api.http.get("/graphql", params=audit.params, headers=headers)
    else:
        response = await api.http.post("/graphql", content=audit.content, headers=headers)
    if isinstance(audit.status, int):
        assert response.status_code == audit.status, (audit, response.status_code, response.text)
    elif audit.status is not None:
        low, high = audit.status
        assert low <= response.status_code <= high, (audit, response.status_code, response.text)
    if audit.content_type_contains:
        assert audit.content_type_contains in response.headers["content-type"], audit
    response.content.decode("utf-8")  # 82A3: UTF-8
    if audit.errors is False:
        assert "errors" not in response.json(), (audit, response.text)
    if audit.no_data:
        assert "data" not in response.json(), (audit, response.text)


def test_every_audit_of_the_suite_is_reproduced():
    assert len(AUDITS) == 61 and len({audit.id for audit in AUDITS}) == 61


@pytest.mark.parametrize("audit", AUDITS, ids=lambda audit: audit.id)
async def test_graphql_http_audit_in_test_mode(api, audit):
    await run_audit(api, audit)


INTROSPECTION_AUDITS = {"BF61", "2EA1", "28B9", "D6D5", "6A70"}  # they ask `__type`, off in production


@pytest.mark.parametrize("audit", [a for a in AUDITS if a.id not in INTROSPECTION_AUDITS], ids=lambda a: a.id)
async def test_graphql_http_audit_in_production(db, settings, audit):
    from api.app import create_app

    production = Api(create_app(settings.replace(env=Environment.PRODUCTION), manage_db=False))
    try:
        await run_audit(production, audit)
    finally:
        await production.http.aclose()


# --- beyond the audit ---------------------------------------------------------------------

@pytest.mark.parametrize("accept, expected", [
    (None, JSON_), ("*/*", JSON_), ("text/html", JSON_), (GQL, GQL),
    (f"{GQL}, {JSON_};q=0.9", GQL), (f"{GQL};q=0.5, {JSON_}", JSON_), (f"{JSON_}, {GQL}", GQL),
    (f"{GQL};q=0", JSON_),
])
def test_the_response_media_type_follows_the_accept_header(accept, expected):
    from api.http import negotiate

    assert negotiate(accept) == expected


async def test_a_failure_before_execution_has_no_data_and_a_code_under_graphql_response_json(api):
    response = await api.http.post("/graphql", json={"query": "{ nope }"}, headers={"accept": GQL})
    assert response.status_code == 400 and response.headers["content-type"].startswith(GQL)
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert body["extensions"]["requestId"] == response.headers["x-request-id"]


async def test_application_json_keeps_status_200_and_data_null_for_document_errors(api):
    for query, code in (("{", "GRAPHQL_PARSE_FAILED"), ("{ nope }", "GRAPHQL_VALIDATION_FAILED")):
        response = await api.http.post("/graphql", json={"query": query})
        assert response.status_code == 200 and response.headers["content-type"].startswith(JSON_)
        body = response.json()
        assert body["data"] is None and body["errors"][0]["extensions"]["code"] == code


async def test_an_executed_request_answers_200_with_data_in_both_media_types(api):
    response = await api.http.post("/graphql", json={"query": "{ account { id } catalog { currency } }"},
                                   headers={"accept": GQL})
    assert response.status_code == 200  # it ran, and has data: UNAUTHENTICATED is a field error
    assert response.json()["data"]["catalog"] and response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # Without any data: 401 under graphql-response+json (API.md "Retries, expiry and
    # outages"), 200 as always under application/json.
    for accept, status in ((GQL, 401), (JSON_, 200)):
        response = await api.http.post("/graphql", json={"query": "{ me { user { id } } }"},
                                       headers={"accept": accept})
        assert response.status_code == status
        assert response.json()["data"] is None
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("accept", [GQL, JSON_])
async def test_a_mutation_over_get_is_refused_with_405_as_graphql_json(api, accept):
    response = await api.http.get("/graphql", params={
        "query": 'mutation { logOut(input: {refreshToken: "x"}) { userErrors { code } } }'},
        headers={"accept": accept})
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert response.headers["content-type"].startswith(accept)
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_batching_is_refused_as_graphql_json(api):
    response = await api.http.post("/graphql", json=[TYPENAME, TYPENAME])
    assert response.status_code == 400 and response.headers["content-type"].startswith(JSON_)
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert "data" not in response.json()


async def test_an_unknown_operation_name_is_a_coded_400(api):
    response = await api.http.post("/graphql", json={"query": "query A { __typename }", "operationName": "B"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "OPERATION_RESOLUTION_FAILURE"


@pytest.mark.parametrize("query", [
    'mutation { inviteTeammate(input: {email: "a@example.org", role: OWNR}) { userErrors { code } } }',
    '{ dossiers(frist: 5) { edges { cursor } } }',
    'query($x: Rol) { __typename }',
    '{ mee }',
    'mutation { signUp(input: {emial: "a@example.org"}) { accessToken } }',
])
async def test_no_error_message_suggests_names_of_the_schema(api, query):
    for accept in (GQL, JSON_):
        response = await api.http.post("/graphql", json={"query": query}, headers={"accept": accept})
        messages = [error["message"] for error in response.json()["errors"]]
        assert messages and not any("Did you mean" in message for message in messages), messages


async def test_a_variable_enum_typo_gets_no_suggestion_either(api):
    body = await api("mutation($r: Role!) { inviteTeammate(input: {email: \"a@example.org\", role: $r}) "
                     "{ userErrors { code } } }", {"r": "OWNR"})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "Did you mean" not in body["errors"][0]["message"]



@pytest.mark.serial
async def test_a_request_stopped_by_the_deadline_is_a_503_under_graphql_response_json(db, settings, monkeypatch):
    import asyncio

    from api.app import create_app
    from tests.support.flows import sign_up

    async def stuck(*args, **kwargs):
        await asyncio.sleep(60)

    api = Api(create_app(settings.replace(execution_timeout_seconds=0.3), manage_db=False))
    try:
        owner = await sign_up(api)
        monkeypatch.setattr("schema.dossiers.queries.visible_dossiers", stuck)
        response = await api.http.post("/graphql", json={"query": "{ dossiers { edges { node { id } } } }"},
                                       headers={"accept": GQL, "authorization": f"Bearer {owner['accessToken']}"})
    finally:
        await api.http.aclose()
    assert response.status_code == 503 and "data" not in response.json()
    assert response.json()["errors"][0]["extensions"]["code"] == "DEADLINE_EXCEEDED"
