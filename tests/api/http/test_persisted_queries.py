"""Persisted queries (API.md "Transport and errors"): Apollo's automatic persisted queries,
shared by every server process through the database, and the
trusted-documents mode `CASEBOOK_TRUSTED_DOCUMENTS=only`. Abuse cases: a hash that is
not the document's, huge documents, junk that does not validate, registering under
another hash."""
from __future__ import annotations

import hashlib
import uuid

import pytest
import pytest_asyncio

from api import documents as documents_module
from api.documents import add_trusted
from tests.conftest import Api

QUERY = "query Catalog { catalog { currency } }"
OTHER = "query Plans { catalog { plans { code } } }"


def sha(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def persisted(digest: str, version: int = 1) -> dict:
    return {"persistedQuery": {"version": version, "sha256Hash": digest}}


@pytest_asyncio.fixture
async def make_api(db, settings):
    """Clients over apps built with some settings changed; each app is one server
    process as far as the in-memory cache goes."""
    from api.app import create_app

    made: list[Api] = []

    def make(**overrides) -> Api:
        client = Api(create_app(settings.replace(**overrides), manage_db=False))
        made.append(client)
        return client

    yield make
    for client in made:
        await client.http.aclose()


async def post(api: Api, body: dict, accept: str | None = None):
    headers = {"accept": accept} if accept else {}
    return await api.http.post("/graphql", json=body, headers=headers)


async def test_apq_unknown_hash_answers_persisted_query_not_found_then_registers_and_runs(api):
    first = await post(api, {"extensions": persisted(sha(QUERY))})
    assert first.status_code == 404
    assert first.json()["errors"][0] == {"message": "PersistedQueryNotFound",
                                         "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}
    registered = await post(api, {"query": QUERY, "extensions": persisted(sha(QUERY))})
    assert registered.status_code == 200 and registered.json()["data"] == {"catalog": {"currency": "EUR"}}
    again = await post(api, {"extensions": persisted(sha(QUERY)), "operationName": "Catalog"})
    assert again.status_code == 200 and again.json()["data"] == {"catalog": {"currency": "EUR"}}


async def test_apq_documents_are_shared_by_every_server_process_through_the_database(make_api):
    worker_a, worker_b = make_api(), make_api()  # two apps: two processes' caches
    assert (await post(worker_a, {"query": QUERY, "extensions": persisted(sha(QUERY))})).status_code == 200
    answered = await post(worker_b, {"extensions": persisted(sha(QUERY))})
    assert answered.status_code == 200 and answered.json()["data"]["catalog"]["currency"] == "EUR"


def _redis_or_skip() -> str:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    return "redis://127.0.0.1:6379/14"


async def test_apq_documents_never_go_to_redis_even_when_it_is_configured(make_api):
    """Issue 28: Redis holds the sign-in counters; documents filling it would refuse
    sign-ins. Documents live in the database, shared by every process."""
    from tortoise import connections

    url = _redis_or_skip()
    document = f"query Fresh{uuid.uuid4().hex} {{ catalog {{ currency }} }}"
    worker_a, worker_b = make_api(redis_url=url), make_api(redis_url=url)
    assert (await post(worker_a, {"query": document, "extensions": persisted(sha(document))})).status_code == 200
    answered = await post(worker_b, {"extensions": persisted(sha(document))})
    assert answered.status_code == 200
    _, rows = await connections.get("default").execute_query('SELECT COUNT(*) AS n FROM "persisted_document"')
    assert rows[0]["n"] == 1
    import redis.asyncio as redis

    client = redis.from_url(url)
    try:
        assert await client.exists(f"casebook:apq:{sha(document)}") == 0
    finally:
        await client.aclose()


async def test_apq_documents_still_run_while_redis_is_down(make_api):
    """Registrations cannot be counted then, so none is remembered; the documents run,
    and a client asked for an unknown hash sends the document again (APQ's protocol)."""
    worker = make_api(redis_url="redis://127.0.0.1:1/0", redis_pool_timeout_seconds=0.5)
    for _ in range(2):
        response = await post(worker, {"query": QUERY, "extensions": persisted(sha(QUERY))})
        assert response.status_code == 200 and response.json()["data"]["catalog"]["currency"] == "EUR"
    assert (await post(worker, {"extensions": persisted(sha(QUERY))})).status_code == 404


@pytest.mark.parametrize("accept", [None, "application/graphql-response+json"])
async def test_a_hash_that_is_not_the_documents_sha256_is_refused_and_nothing_is_stored(api, accept):
    response = await post(api, {"query": OTHER, "extensions": persisted(sha(QUERY))}, accept)
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # The hash was not taken over: it still names nothing.
    assert (await post(api, {"extensions": persisted(sha(QUERY))})).status_code == 404


async def test_a_document_that_does_not_validate_is_answered_but_never_remembered(api):
    junk = "{ catalog { nope } }"
    response = await post(api, {"query": junk, "extensions": persisted(sha(junk))})
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert (await post(api, {"extensions": persisted(sha(junk))})).status_code == 404


async def test_a_huge_document_runs_but_is_never_remembered(api):
    huge = QUERY + "\n#" + "x" * documents_module.MAX_DOCUMENT_BYTES
    response = await post(api, {"query": huge, "extensions": persisted(sha(huge))})
    assert response.status_code == 200 and response.json()["data"]["catalog"]["currency"] == "EUR"
    assert (await post(api, {"extensions": persisted(sha(huge))})).status_code == 404


@pytest.mark.parametrize("extensions, message", [
    ({"persistedQuery": {"version": 2, "sha256Hash": "a" * 64}}, "version"),
    ({"persistedQuery": {"version": 1, "sha256Hash": "not-a-hash"}}, "64 hexadecimal"),
    ({"persistedQuery": {"version": 1}}, "64 hexadecimal"),
    ({"persistedQuery": "abc"}, "must be"),
])
async def test_a_malformed_persisted_query_is_a_coded_400(api, extensions, message):
    response = await post(api, {"extensions": extensions})
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_REQUEST" and message in error["message"]


async def test_apq_works_over_get_for_queries_but_never_runs_a_mutation(api):
    import json

    await post(api, {"query": QUERY, "extensions": persisted(sha(QUERY))})
    response = await api.http.get("/graphql", params={"extensions": json.dumps(persisted(sha(QUERY)))})
    assert response.status_code == 200 and response.json()["data"]["catalog"]["currency"] == "EUR"
    mutation = 'mutation { logOut(input: {refreshToken: "x"}) { userErrors { code } } }'
    await post(api, {"query": mutation, "extensions": persisted(sha(mutation))})
    refused = await api.http.get("/graphql", params={"extensions": json.dumps(persisted(sha(mutation)))})
    assert refused.status_code == 405


async def test_apq_rows_in_the_database_are_capped_oldest_first(api, monkeypatch):
    from tortoise import connections

    monkeypatch.setattr(documents_module, "MAX_APQ_ROWS", 2)
    names = [f"query Q{i} {{ catalog {{ currency }} }}" for i in range(3)]
    for document in names:
        assert (await post(api, {"query": document, "extensions": persisted(sha(document))})).status_code == 200
    _, rows = await connections.get("default").execute_query('SELECT "sha256" FROM "persisted_document"')
    assert {row["sha256"] for row in rows} == {sha(names[1]), sha(names[2])}


# --- trusted documents: CASEBOOK_TRUSTED_DOCUMENTS=only -----------------------------------

async def test_only_registered_documents_run_in_trusted_mode(make_api):
    api = make_api(trusted_documents="only")
    refused = await post(api, {"query": QUERY})
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_IN_LIST"
    await add_trusted({sha(QUERY): QUERY})
    by_text = await post(api, {"query": QUERY})
    by_hash = await post(api, {"extensions": persisted(sha(QUERY))})
    assert by_text.json()["data"] == by_hash.json()["data"] == {"catalog": {"currency": "EUR"}}
    assert (await post(api, {"query": OTHER})).status_code == 400


async def test_trusted_mode_takes_no_documents_through_apq(make_api):
    api = make_api(trusted_documents="only")
    response = await post(api, {"query": OTHER, "extensions": persisted(sha(OTHER))})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_IN_LIST"
    assert (await post(api, {"extensions": persisted(sha(OTHER))})).status_code == 404


async def test_a_document_remembered_by_apq_is_not_trusted(make_api):
    open_api, trusted_api = make_api(), make_api(trusted_documents="only")
    assert (await post(open_api, {"query": OTHER, "extensions": persisted(sha(OTHER))})).status_code == 200
    assert (await post(trusted_api, {"extensions": persisted(sha(OTHER))})).status_code == 404
    assert (await post(trusted_api, {"query": OTHER})).status_code == 400


async def test_registering_a_document_apq_knew_makes_it_trusted(make_api):
    open_api, trusted_api = make_api(), make_api(trusted_documents="only")
    await post(open_api, {"query": QUERY, "extensions": persisted(sha(QUERY))})
    assert await add_trusted({sha(QUERY): QUERY}) == 1
    assert await add_trusted({sha(QUERY): QUERY}) == 0
    assert (await post(trusted_api, {"extensions": persisted(sha(QUERY))})).status_code == 200


async def test_trusted_mode_refuses_a_hash_that_is_not_the_documents(make_api):
    api = make_api(trusted_documents="only")
    await add_trusted({sha(QUERY): QUERY})
    response = await post(api, {"query": OTHER, "extensions": persisted(sha(QUERY))})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
