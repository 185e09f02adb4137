"""Client mistakes are client errors (API.md "Transport and
errors"): variables that do not fit their type are BAD_USER_INPUT, odd bodies are a coded
400, neither is logged as a server fault; and every masked internal error is logged with
its traceback under the request id the client was given."""
from __future__ import annotations

import logging

import pytest
import strawberry

from tests.conftest import Api

CREATE = 'mutation($v: Date) { createDossier(input: {clientName: "x", dateOfBirth: $v}) { userErrors { code } } }'
MEASURE = ('mutation($value: Decimal!, $at: DateTime!) { recordMeasurement(input: {dossierId: "RG9zc2llcjox", '
           'metric: "weight", value: $value, unit: "kg", measuredAt: $at}) { userErrors { code } } }')
PAGE = "query($n: Int) { dossiers(first: $n) { edges { cursor } } }"


def server_faults(caplog) -> list[logging.LogRecord]:
    """ERROR records, leaving out strawberry's own error log (which api.logging switches
    off in a real server)."""
    return [r for r in caplog.records if r.name != "strawberry.execution" and r.levelno >= logging.ERROR]


@pytest.mark.parametrize("query, variables", [
    (CREATE, {"v": "2026-02-30"}),
    (CREATE, {"v": "yesterday"}),
    (MEASURE, {"value": "abc", "at": "2026-01-01T10:00:00+01:00"}),
    (MEASURE, {"value": "NaN-ish", "at": "2026-01-01T10:00:00+01:00"}),
    (MEASURE, {"value": "1.5", "at": "garbage"}),
    (MEASURE, {"value": "1.5", "at": 12}),
    (PAGE, {"n": "5"}),
    (PAGE, {"n": 2 ** 40}),
    (PAGE, {"n": [1]}),
    ("query($id: ID!) { dossier(id: $id) { id } }", {}),
    ("query($id: ID!) { dossier(id: $id) { id } }", {"id": {"nested": True}}),
])
async def test_a_variable_that_does_not_fit_its_type_is_bad_user_input(api, caplog, query, variables):
    with caplog.at_level(logging.INFO):
        response = await api.http.post("/graphql", json={"query": query, "variables": variables})
    body = response.json()
    assert response.status_code == 200
    assert [error["extensions"]["code"] for error in body["errors"]] == ["BAD_USER_INPUT"] * len(body["errors"])
    assert "Internal error" not in body["errors"][0]["message"]
    assert server_faults(caplog) == []


async def test_bad_user_input_is_a_400_under_graphql_response_json(api):
    response = await api.http.post("/graphql", json={"query": PAGE, "variables": {"n": "5"}},
                                   headers={"accept": "application/graphql-response+json"})
    assert response.status_code == 400 and "data" not in response.json()
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_bad_user_input_is_counted_as_a_client_error_in_metrics(api):
    await api(PAGE, {"n": "5"})
    metrics = (await api.http.get("/metrics")).text
    assert 'casebook_graphql_errors_total{code="BAD_USER_INPUT"} 1' in metrics
    assert "INTERNAL_SERVER_ERROR" not in metrics


def parse_code(value: object) -> str:
    if not isinstance(value, str) or not value.isupper():
        raise ValueError("codes are upper case")
    return value


def parse_broken(value: object) -> str:
    raise KeyError("a bug in the scalar")


Code = strawberry.scalar(str, name="Code", parse_value=parse_code, serialize=str)
Broken = strawberry.scalar(str, name="Broken", parse_value=parse_broken, serialize=str)


@strawberry.type
class ScalarQuery:
    @strawberry.field
    def echo(self, code: Code) -> str:  # type: ignore[valid-type]
        return code

    @strawberry.field
    def broken(self, value: Broken) -> str:  # type: ignore[valid-type]
        return value

    @strawberry.field
    def boom(self) -> str:
        raise RuntimeError("SELECT secret FROM vault")


async def post(client: Api, query: str, variables: dict | None = None) -> dict:
    """Straight to the app: conftest's differential check would run the real schema."""
    return (await client.http.post("/graphql", json={"query": query, "variables": variables or {}})).json()


def app_with_schema(settings, query_type):  # noqa: ANN001, ANN201
    """The real app (middleware, view, extensions) over a schema of the test's own."""
    from api.app import create_app, graphql_extensions

    app = create_app(settings, manage_db=False)
    graphql = next(route.endpoint for route in app.routes if getattr(route, "path", "") == "/graphql")
    graphql.schema = strawberry.Schema(query=query_type, extensions=graphql_extensions(settings))
    return Api(app)


async def test_a_custom_scalar_that_refuses_a_value_is_bad_user_input(db, settings, caplog):
    """Custom scalars go through the same path: whatever their parser raises is the
    client's value not fitting (a parser bug is still logged, as a warning)."""
    client = app_with_schema(settings, ScalarQuery)
    try:
        with caplog.at_level(logging.INFO):
            ok = await post(client, "query($c: Code!) { echo(code: $c) }", {"c": "ABC"})
            refused = await post(client, "query($c: Code!) { echo(code: $c) }", {"c": "abc"})
            broken = await post(client, "query($b: Broken!) { broken(value: $b) }", {"b": "x"})
    finally:
        await client.http.aclose()
    assert ok["data"] == {"echo": "ABC"}
    assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "codes are upper case" in refused["errors"][0]["message"]
    assert broken["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert server_faults(caplog) == []
    assert any(r.levelno == logging.WARNING and r.exc_info for r in caplog.records)


@pytest.mark.parametrize("body", ['"hello"', "123", "null", "true", "[]", '{"query": "{ __typename }"',
                                  b'{"query": "\xff"}'])
async def test_a_body_that_is_not_a_json_object_is_a_coded_400_without_a_traceback(api, caplog, body):
    with caplog.at_level(logging.INFO):
        response = await api.http.post("/graphql", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400
    payload = response.json()
    assert payload["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert payload["extensions"]["requestId"] == response.headers["x-request-id"]
    assert server_faults(caplog) == []


@pytest.mark.parametrize("depth", [33, 3000, 60_000])
async def test_variables_nested_thousands_of_levels_deep_are_a_coded_400(api, caplog, depth):
    nested = "[" * depth + "]" * depth
    content = '{"query": "query($x: [String]) { __typename }", "variables": {"x": ' + nested + "}}"
    with caplog.at_level(logging.INFO):
        response = await api.http.post("/graphql", content=content, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert "nests more than 32 levels" in response.json()["errors"][0]["message"]
    assert server_faults(caplog) == []


async def test_nested_variables_over_get_are_refused_too(api):
    nested = "[" * 100 + "]" * 100
    response = await api.http.get("/graphql", params={"query": "{ __typename }", "variables": '{"x": ' + nested + "}"})
    assert response.status_code == 400


async def test_variables_within_the_nesting_limit_still_work(api):
    body = await api("mutation($input: CreateDossierInput!) { createDossier(input: $input) { userErrors { code } } }",
                     {"input": {"clientName": "x", "freeFields": [{"name": "a", "value": "b"}]}})
    assert [error["extensions"]["code"] for error in body["errors"]] == ["UNAUTHENTICATED"]  # it ran


async def test_a_masked_internal_error_is_logged_with_its_traceback_and_the_clients_request_id(
        db, settings, caplog):
    client = app_with_schema(settings, ScalarQuery)
    try:
        with caplog.at_level(logging.INFO):
            body = await post(client, "{ boom }")
    finally:
        await client.http.aclose()
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "SELECT" not in str(body)
    request_id = body["extensions"]["requestId"]
    [record] = [r for r in caplog.records if r.name == "casebook.api" and r.levelno == logging.ERROR]
    assert record.exc_info and "SELECT secret FROM vault" in str(record.exc_info[1])
    assert record.fields["request_id"] == request_id


async def test_an_unexpected_error_outside_graphql_is_a_500_graphql_error_logged_with_the_request_id(
        db, settings, caplog, monkeypatch):
    from api.app import create_app

    async def broken_context(*args, **kwargs):
        raise RuntimeError("the principal could not be loaded")

    app = create_app(settings, manage_db=False)
    monkeypatch.setattr("api.app.build_context", broken_context)
    client = Api(app)
    try:
        with caplog.at_level(logging.INFO):
            response = await client.http.post("/graphql", json={"query": "{ __typename }"})
    finally:
        await client.http.aclose()
    assert response.status_code == 500
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "principal" not in response.text
    request_id = body["extensions"]["requestId"]
    assert response.headers["x-request-id"] == request_id
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR and r.exc_info]
    assert record.fields["request_id"] == request_id


@pytest.mark.parametrize("value", ["1e999999999", "-1e999999999", "1E-999999999"])
async def test_a_decimal_beyond_the_decimal_context_is_invalid_input_not_a_fault(api, caplog, value):
    """An outside probe got INTERNAL_SERVER_ERROR (decimal.Overflow) for 1e999999999, and a
    silent 0 stored for 1E-999999999 (D1: exact values, at most 6 decimals)."""
    from tests.support.dossiers import create_ok, practice, record

    owner = await practice(api, now="2026-04-10T09:00:00+02:00")
    dossier = await create_ok(api, owner.token, now="2026-04-10T09:00:00+02:00")
    with caplog.at_level(logging.INFO):
        payload = await record(api, owner.token, dossier, value=value)
    assert payload["measurement"] is None
    assert [error["code"] for error in payload["userErrors"]] == ["INVALID_INPUT"]
    assert server_faults(caplog) == []
