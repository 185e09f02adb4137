"""The compiled completion gives exactly the standard executor's result — data, errors,
paths, nulls, permissions — or falls back to it. The queries of the API tests are run
both ways by the test client (tests/conftest.py); here hypothesis writes more: queries
generated from the served schema, sent by an owner, a member, a guest, a machine
credential and an operator, against a practice with content. All 120 on PostgreSQL (the
CI pass); on SQLite the first 40 of the same fixed sequence, to keep `make test` quick."""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings as hypothesis_settings
from hypothesis import strategies as st
from graphql import StringValueNode
from hypothesis_graphql import queries

from schema.schema import build_schema
from tests.api.auth.test_machine_credentials import _credential, _token
from tests.conftest import ON_POSTGRES
from tests.support.billing import operator_token
from tests.support.seed import seed_practice

AT = "2026-04-20T12:00:00+02:00"
QUERIES = 120 if ON_POSTGRES else 40


def _generated(count: int) -> list[str]:
    """`count` queries over the whole schema, the same on every run."""
    sdl = build_schema().as_str()
    found: list[str] = []
    def text(value: str):  # noqa: ANN202
        return st.just(StringValueNode(value=value))

    @hypothesis_settings(max_examples=count, database=None, derandomize=True, deadline=None,
                         suppress_health_check=list(HealthCheck))
    @given(queries(sdl, custom_scalars={"Date": text("2026-04-01"), "DateTime": text("2026-04-01T10:00:00+00:00"),
                                         "Decimal": text("1.5")}))
    def collect(query: str) -> None:
        found.append(query)

    collect()
    return found


@pytest.mark.slow
async def test_generated_queries_get_the_same_answer_from_both_executors(api, settings):
    practice = await seed_practice(api, 3, entries=3, shares=1, teammates=2)
    credential, secret = await _credential(api, practice.token, scopes=("dossiers:read", "shares:manage"))
    machine = (await _token(api, credential["clientId"], secret))["accessToken"]
    operator = await operator_token(api, "operator-diff@casebook.example")
    principals = [practice.token, machine, operator, None]
    compared = 0
    for number, query in enumerate(_generated(QUERIES)):
        token = principals[number % len(principals)]
        body = await api(query, token=token, now=AT)  # the client compares both executors
        compared += 1
        assert "INTERNAL_SERVER_ERROR" not in json.dumps(body), (query, body)
    assert compared == QUERIES
