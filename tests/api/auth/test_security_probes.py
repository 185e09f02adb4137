"""An outside probe, replayed: what it found is refused.

Item 1 (SPEC O3): documents that describe exponentially more than their text, and
requests that run too long. Item 6: ids and cursors that are not ours. Item 8:
append-only tables and TRUNCATE. Timings here are generous for a busy CI machine;
`python -m bench.probe` measures the 50 ms bound against a real server with 2 workers.
"""
from __future__ import annotations

import asyncio
import base64
import time
from pathlib import Path

import pytest
from tortoise import connections

from api.abuse_limits import MAX_ALIASES, MAX_DIRECTIVES
from bench.probe import fan_out
from infra.db import execute, transaction
from tests.conftest import ON_POSTGRES, Api, as_owner
from tests.support.dossiers import create_ok
from tests.support.flows import sign_up

GENEROUS_SECONDS = 0.5  # in process, on a shared CI machine; the real bound is bench.probe's


@pytest.fixture
def make_api(db, settings):
    from api.app import create_app

    def make(**overrides):
        return Api(create_app(settings.replace(**overrides), manage_db=False))

    return make


def codes(body: dict) -> list[str]:
    return [(error.get("extensions") or {}).get("code") for error in body.get("errors") or []]


async def _send(api: Api, method: str, query: str) -> tuple[int, dict, float]:
    started = time.perf_counter()
    if method == "GET":
        response = await api.http.get("/graphql", params={"query": query})
    else:
        response = await api.http.post("/graphql", json={"query": query})
    return response.status_code, response.json(), time.perf_counter() - started


# --- item 1: fragment fan-out, and everything else that grows faster than the text --------

@pytest.mark.parametrize("levels", [7, 8, 12])
@pytest.mark.parametrize("method", ["POST", "GET"])
@pytest.mark.serial
async def test_a_fragment_fan_out_is_refused_at_once_without_a_token(api, levels, method):
    # Given 10 spreads of the next fragment, `levels` deep: 10^levels paths in ~1 KB
    query = fan_out(levels)
    assert len(query) < 1200
    # When it is sent with no token
    status, body, seconds = await _send(api, method, query)
    # Then it is refused before validation or execution, in no time
    assert status in (200, 400)
    assert body["data"] is None
    assert "QUERY_TOO_COMPLEX" in codes(body)
    assert seconds < GENEROUS_SECONDS, seconds


@pytest.mark.serial
async def test_healthz_answers_while_fan_outs_arrive(api):
    started = time.perf_counter()
    probes = [_send(api, method, fan_out(levels)) for levels in (7, 8, 12) for method in ("POST", "GET")] * 3
    results = await asyncio.gather(*probes, api.http.get("/healthz"), *probes[:3])
    assert results[len(probes)].status_code == 200
    assert time.perf_counter() - started < 6 * GENEROUS_SECONDS


async def test_a_fan_out_under_introspection_is_refused_too(api):
    query = fan_out(8, on="__Schema", root="__schema", leaf="queryType { name }")
    status, body, seconds = await _send(api, "POST", query)
    assert "QUERY_TOO_COMPLEX" in codes(body) and seconds < GENEROUS_SECONDS


async def test_aliases_in_a_fragment_count_for_every_spread(api):
    # 4 aliased fields + a fragment with 3 aliases spread in each: 16 aliases run, 7 written
    query = ("{ " + " ".join(f"v{i}: me {{ ...U }}" for i in range(4)) + " }"
             " fragment U on Viewer { a: kind b: kind c: kind }")
    body = await api(query)
    assert codes(body) == ["QUERY_TOO_COMPLEX"]
    assert body["errors"][0]["extensions"]["limit"] == {"name": "aliases", "max": MAX_ALIASES, "found": 16}


async def test_directives_in_a_fragment_count_for_every_spread(api):
    query = ("{ " + " ".join(f"v{i}: me {{ ...U }}" for i in range(6)) + " }"
             " fragment U on Viewer { kind @include(if: true) k: kind @skip(if: false) }")
    body = await api(query)
    assert "QUERY_TOO_COMPLEX" in codes(body)
    assert {"name": "directives", "max": MAX_DIRECTIVES, "found": 12} in [
        e["extensions"].get("limit") for e in body["errors"]]


async def test_depth_counts_through_fragments(api):
    # Share.dossier -> Dossier.shares -> … with each step in its own fragment
    fragments = " ".join(
        f"fragment S{i} on Share {{ dossier {{ ...D{i} }} }} fragment D{i} on Dossier {{ shares {{ ...S{i + 1} }} }}"
        for i in range(6)) + " fragment S6 on Share { id }"
    body = await api("{ me { shares { ...S0 } } } " + fragments)
    assert "exceeds maximum operation depth of 10" in body["errors"][0]["message"]


async def test_a_long_chain_of_fragments_is_refused_without_recursing(api):
    chain = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(200)) + " fragment F200 on Query { __typename }"
    status, body, seconds = await _send(api, "POST", "{ ...F0 } " + chain)
    assert "QUERY_TOO_COMPLEX" in codes(body) and seconds < GENEROUS_SECONDS


async def test_many_fields_of_one_name_are_refused_before_the_quadratic_validation(api):
    # graphql-core compares same-named fields pairwise: 250 of these took 500+ ms to validate
    status, body, seconds = await _send(api, "POST", "{ " + " ".join(["me { user { id } }"] * 250) + " }")
    assert "QUERY_TOO_COMPLEX" in codes(body) and seconds < GENEROUS_SECONDS
    nested = " ".join(["user { id }"] * 20)
    body = await api("{ " + " ".join([f"me {{ {nested} }}"] * 20) + " }")
    assert body["errors"][0]["extensions"]["limit"]["name"] == "sameNamePairs"
    # An ordinary repetition (Apollo adds __typename to every fragment) is fine
    assert (await api.data("{ " + " ".join(["__typename"] * 40) + " }"))["__typename"] == "Query"


async def test_a_deep_of_type_chain_and_deep_nesting_are_refused(api):
    chain = '{ __type(name: "Query") { ' + "ofType { " * 30 + "name" + " }" * 30 + " } }"
    body = await api(chain)
    assert body["errors"][0]["extensions"]["limit"]["name"] == "introspectionDepth"
    nested = "{ " + "me { " * 400 + "kind" + " }" * 401
    status, body, _ = await _send(api, "POST", nested)
    assert body["data"] is None and "INTERNAL_SERVER_ERROR" not in codes(body)


async def test_the_standard_introspection_query_still_passes(api):
    from graphql import get_introspection_query

    body = await api(get_introspection_query(descriptions=True))
    assert not body.get("errors") and body["data"]["__schema"]["queryType"]["name"] == "Query"


@pytest.mark.serial
async def test_a_list_variable_as_long_as_the_body_allows_is_answered_quickly(api):
    owner = await sign_up(api)
    started = time.perf_counter()
    body = await api("""mutation($input: CreateMachineCredentialInput!) {
        createMachineCredential(input: $input) { userErrors { code } } }""",
                     {"input": {"name": "x", "scopes": ["dossiers:read"] * 12_000}}, token=owner["accessToken"])
    assert time.perf_counter() - started < 4 * GENEROUS_SECONDS
    assert "INTERNAL_SERVER_ERROR" not in codes(body)


# --- item 1: the execution deadline -------------------------------------------------------

async def _stuck(*args, **kwargs):
    await asyncio.sleep(60)


@pytest.mark.serial
async def test_a_query_past_the_deadline_is_stopped_with_a_coded_error(make_api, monkeypatch):
    api = make_api(execution_timeout_seconds=0.3)
    owner = await sign_up(api)
    monkeypatch.setattr("schema.dossiers.queries.visible_dossiers", _stuck)
    api.differential = False  # time one request, not the reference executor's run before it
    started = time.perf_counter()
    body = await api("{ dossiers { edges { node { id } } } }", token=owner["accessToken"])
    assert time.perf_counter() - started < 3
    assert codes(body) == ["DEADLINE_EXCEEDED"]
    assert body["data"] is None
    assert body["extensions"]["requestId"]
    assert (await api.http.get("/healthz")).status_code == 200


@pytest.mark.serial
async def test_a_mutation_past_the_deadline_writes_nothing_and_leaves_no_transaction_open(make_api, monkeypatch):
    api = make_api(execution_timeout_seconds=0.3)
    owner = await sign_up(api)
    token = owner["accessToken"]
    # Given a write that stops inside its transaction, after inserting the dossier
    monkeypatch.setattr("domain.dossiers.service.activate", _stuck)
    body = await api("""mutation { createDossier(input: {clientName: "Stuck"}) { dossier { id } } }""", token=token)
    assert codes(body) == ["DEADLINE_EXCEEDED"]
    monkeypatch.undo()
    from domain.dossiers.models import Dossier

    # Then nothing of it was kept, and the next write goes through (no lock or connection held)
    assert await Dossier.filter(client_name="Stuck").count() == 0
    async with asyncio.timeout(5):
        await create_ok(api, token, "Next")
    if ON_POSTGRES:
        _, rows = await connections.get("default").execute_query(
            "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database() "
            "AND state LIKE 'idle in transaction%'")
        assert rows[0]["n"] == 0


async def test_the_deadline_is_a_setting(settings):
    from infra.settings import SettingsError, load_settings

    assert settings.execution_timeout_seconds == 5.0
    base = {"CASEBOOK_ENV": "test", "JWT_SECRET": "x" * 40}
    assert load_settings({**base, "EXECUTION_TIMEOUT_SECONDS": "2.5"}, env_file=None).execution_timeout_seconds == 2.5
    for wrong in ("0", "-1", "soon", "nan"):
        with pytest.raises(SettingsError):
            load_settings({**base, "EXECUTION_TIMEOUT_SECONDS": wrong}, env_file=None)


# --- item 6: ids and cursors ---------------------------------------------------------------

def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _not_ours(pk: int) -> list[str]:
    """Spellings of dossier `pk` (or of ids beyond int64) that are not the one we issue."""
    return [
        _b64(f"Dossier:{2**63}"), _b64(f"Dossier:{2**64 + pk}"), _b64(f"Dossier:{10**30}"),
        _b64(f"Dossier: {pk}"), _b64(f"Dossier:{pk} "), _b64(f"Dossier:+{pk}"), _b64(f"Dossier:0{pk}"),
        _b64("Dossier:" + "".join(chr(0x0660 + int(d)) for d in str(pk))),  # Arabic-Indic digits
        _b64("Dossier:" + "".join(chr(0xFF10 + int(d)) for d in str(pk))),  # full-width digits
        _b64(f"Dossier:{pk}") + "=", _b64(f"Dossier:{pk}") + "!",
        base64.b64encode(f"Dossier:{pk}".encode()).decode() + "==",
        "x" * 10_000,
    ]


async def test_ids_that_are_not_ours_find_nothing_and_break_nothing(api):
    owner = await sign_up(api)
    token = owner["accessToken"]
    dossier_id = await create_ok(api, token, "Dana")
    pk = int(base64.urlsafe_b64decode(dossier_id + "==").decode().split(":")[1])
    query = "query($id: ID!) { dossier(id: $id) { id } node(id: $id) { id } }"
    assert (await api.data(query, {"id": dossier_id}, token=token))["dossier"]["id"] == dossier_id
    for wrong in _not_ours(pk):
        body = await api(query, {"id": wrong}, token=token)
        assert body.get("errors") is None, (wrong, body)
        assert body["data"] == {"dossier": None, "node": None}, wrong
        payload = await api("""mutation($id: ID!) { updateDossier(input: {dossierId: $id, clientName: "X"}) {
            dossier { id } userErrors { code } } }""", {"id": wrong}, token=token)
        assert payload["data"]["updateDossier"]["userErrors"][0]["code"] == "NOT_FOUND", (wrong, payload)


def _cursor(text: str) -> str:
    return _b64("c1|" + text)


@pytest.mark.parametrize("field, cursor", [
    ("dossiers", _cursor(f"{2**63}|Dana")),
    ("dossiers", _cursor("1|" + "D" * 201)),
    ("dossiers", _cursor("\u0661|Dana")),
    ("dossiers", _cursor("01|Dana")),
    ("dossiers", _cursor("1|Dana") + "="),
    ("dossiers", "not a cursor"),
    ("entries", _cursor(str(2**63))),
    ("entries", _cursor("\u00b2")),  # "²".isdigit() is True, int("²") fails
    ("entries", _cursor("1|2")),
    ("auditLog", _cursor(str(2**63))),
    ("auditLog", _cursor("\u00b2")),
])
async def test_cursors_that_are_not_ours_are_invalid_input(api, field, cursor):
    owner = await sign_up(api)
    token = owner["accessToken"]
    dossier_id = await create_ok(api, token, "Dana")
    queries = {
        "dossiers": "query($c: String) { dossiers(after: $c) { edges { cursor } } }",
        "entries": "query($c: String, $id: ID!) { dossier(id: $id) { entries(after: $c) { edges { cursor } } } }",
        "auditLog": "query($c: String) { account { auditLog(after: $c) { edges { cursor } } } }",
    }
    body = await api(queries[field], {"c": cursor, "id": dossier_id}, token=token)
    assert codes(body) == ["INVALID_INPUT"], body


async def test_a_cursor_we_issued_still_pages(api):
    owner = await sign_up(api)
    token = owner["accessToken"]
    for name in ("Ann", "Bo|b", "Cy"):
        await create_ok(api, token, name)
    first = await api.data("{ dossiers(first: 2) { edges { cursor node { clientName } } } }", token=token)
    after = first["dossiers"]["edges"][-1]["cursor"]
    rest = await api.data("query($c: String) { dossiers(after: $c) { edges { node { clientName } } } }",
                          {"c": after}, token=token)
    assert [e["node"]["clientName"] for e in rest["dossiers"]["edges"]] == ["Cy"]


# --- item 8: append-only tables -------------------------------------------------------------

async def test_the_audit_log_refuses_deleting_everything_on_both_databases(api):
    # SQLite has no TRUNCATE; its truncate optimisation of DELETE without WHERE is off for
    # tables with triggers, so the row trigger refuses it.
    # On PostgreSQL the application's role has no DELETE on it either (issue 28).
    await sign_up(api)  # writes an audit event
    with pytest.raises(Exception, match="append-only|permission denied"):
        async with transaction() as conn:
            await execute(conn, 'DELETE FROM "audit_event"')
    _, rows = await connections.get("default").execute_query('SELECT COUNT(*) AS n FROM "audit_event"')
    assert rows[0]["n"] > 0


@pytest.mark.postgres_only
@pytest.mark.parametrize("table", ["audit_event", "ledger_line", "invoice", "invoice_line", "invoice_payment"])
async def test_append_only_tables_refuse_truncate(api, table):
    """As the owner the statement trigger refuses (0009); the application's role (the
    connection here, issue 28) has no TRUNCATE privilege at all."""
    await sign_up(api)
    conn = connections.get("default")
    # (An invoice's lines and payment refer to it: without CASCADE the foreign keys refuse first.)
    with pytest.raises(Exception, match="append-only|permission denied|referenced in a foreign key"):
        await conn.execute_script(f'TRUNCATE "{table}"')
    with pytest.raises(Exception, match="append-only"):
        await as_owner(f'TRUNCATE "{table}" RESTART IDENTITY CASCADE')


@pytest.mark.postgres_only
async def test_only_a_superuser_can_skip_the_truncate_trigger(api):
    # The application's role (tests/conftest.py connects as it, as production does)
    conn = connections.get("default")
    # When it truncates, or tries to switch triggers off first, it is refused
    with pytest.raises(Exception, match="permission denied|append-only"):
        await conn.execute_script('BEGIN; TRUNCATE "audit_event"; COMMIT;')
    with pytest.raises(Exception, match="permission denied"):
        await conn.execute_script("BEGIN; SET LOCAL session_replication_role = replica; COMMIT;")


def test_no_application_code_switches_triggers_off():
    root = Path(__file__).resolve().parents[3]
    for area in ("api", "auth", "domain", "schema"):
        for path in (root / area).rglob("*.py"):
            text = path.read_text()
            for forbidden in ("session_replication_role", "DISABLE TRIGGER", "DROP TRIGGER"):
                assert forbidden not in text, f"{path}: {forbidden}"
