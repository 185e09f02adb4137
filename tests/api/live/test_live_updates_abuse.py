"""Live updates refuse what requests refuse (SPEC T7, T4, P3, G6, I5): a raw
graphql-transport-ws client, to see close codes and reasons exactly."""
from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
import pytest_asyncio
import websockets

from auth.tokens import ACCESS, TokenService
from infra.clock import utc_now
from tests.support.dossiers import add_entry, global_id, token_for, create_ok, guest, practice, teammate
from tests.support.live import VIEWER_UPDATES, serving

SUBSCRIBE = "subscription($id: ID!) { dossierUpdates(dossierId: $id) { event entry { id } } }"


@pytest_asyncio.fixture
async def live(db, settings, listen_url):
    """(api, ws URL) with small bounds, to reach them in a test."""
    from api.app import create_app
    from tests.conftest import ON_POSTGRES, Api

    tight = settings.replace(live_listen_url=listen_url, live_connections_per_principal=2,
                    live_subscriptions_per_connection=2, live_max_message_bytes=2000,
                    live_idle_timeout_seconds=8)
    client = Api(create_app(tight, manage_db=False))
    async with serving(client.app) as url:
        yield client, url
    await client.aclose()


async def _open(url: str, token: str | None):
    ws = await websockets.connect(url, subprotocols=["graphql-transport-ws"])
    await ws.send(json.dumps({"type": "connection_init",
                              "payload": {"Authorization": f"Bearer {token}"} if token else {}}))
    return ws


async def _acked(url: str, token: str):
    ws = await _open(url, token)
    assert json.loads(await ws.recv()) == {"type": "connection_ack"}
    return ws


async def _closed(ws) -> tuple[int, str]:
    with pytest.raises(websockets.ConnectionClosed):
        while True:
            await ws.recv()
    return ws.close_code, ws.close_reason


async def _subscribe(ws, document: str, variables: dict | None = None, op: str = "1") -> None:
    await ws.send(json.dumps({"id": op, "type": "subscribe", "payload": {"query": document, "variables": variables or {}}}))
    await asyncio.sleep(0.2)  # the stream opens on the server before the test writes


async def _next(ws) -> dict:
    while True:
        message = json.loads(await ws.recv())
        if message["type"] != "ping":
            return message


async def test_no_token_or_a_forged_one_closes_the_connection_4401(live):
    _, url = live
    assert await _closed(await _open(url, None)) == (4401, "UNAUTHENTICATED")
    assert await _closed(await _open(url, "not.a.token")) == (4401, "UNAUTHENTICATED")


def _reissued(api, token: str, issued, ttl: int) -> str:
    tokens = TokenService(api.app.state.settings)
    claims = tokens.decode(token, ACCESS, utc_now())
    return tokens.encode(ACCESS, claims["sub"], {k: claims[k] for k in ("kind", "ver", "sid", "acc", "scope")
                                                 if k in claims}, issued, ttl)[0]


async def test_an_expired_token_closes_with_token_expired(live):
    api, url = live
    owner = await practice(api)
    stale = _reissued(api, owner.token, utc_now() - timedelta(hours=2), 60)
    assert await _closed(await _open(url, stale)) == (4401, "TOKEN_EXPIRED")
    expiring = _reissued(api, owner.token, utc_now(), 1)
    ws = await _acked(url, expiring)
    assert await _closed(ws) == (4401, "TOKEN_EXPIRED")  # when it expires, without any event


async def test_another_accounts_dossier_is_refused_like_a_missing_one(live):
    api, url = live
    owner, stranger = await practice(api), await practice(api)
    dossier = await create_ok(api, owner.token, "Ada")
    answers = []
    for target in (dossier, "RG9zc2llcjo5OTk5OTk="):  # foreign, and one that does not exist
        ws = await _acked(url, stranger.token)
        await _subscribe(ws, SUBSCRIBE, {"id": target})
        answers.append(await _next(ws))
        await ws.close()
    assert answers[0]["payload"]["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert [a["payload"] for a in answers[0:1]] == [a["payload"] for a in answers[1:2]]


async def test_only_subscriptions_run_over_the_websocket(live):
    api, url = live
    owner = await practice(api)
    ws = await _acked(url, owner.token)
    await _subscribe(ws, "mutation { logOut(input: {}) { userErrors { code } } }")
    answer = await _next(ws)
    assert answer["type"] == "error" and answer["payload"][0]["extensions"]["code"] == "BAD_REQUEST"
    await _subscribe(ws, "query { me { user { email } } }", op="2")
    assert (await _next(ws))["type"] == "error"
    await ws.close()


async def test_bounds_subscriptions_per_connection_message_size_connections_per_principal(live):
    api, url = live
    owner = await practice(api)
    dossier = await create_ok(api, owner.token, "Ada")
    ws = await _acked(url, owner.token)
    for op in ("1", "2"):
        await _subscribe(ws, SUBSCRIBE, {"id": dossier}, op=op)
    await _subscribe(ws, SUBSCRIBE, {"id": dossier}, op="3")
    assert (await _next(ws))["payload"][0]["message"] == "Subscription limit reached"
    second = await _acked(url, owner.token)
    third = await _open(url, owner.token)
    assert await _closed(third) == (4429, "Too many connections for this principal")
    await second.send(json.dumps({"id": "9", "type": "subscribe", "payload": {"query": "#" * 3000}}))
    assert (await _closed(second))[0] == 1009
    await ws.close()


async def test_a_teammate_removed_from_the_team_stops_receiving(live):
    from domain.accounts.models import Membership

    api, url = live
    owner = await practice(api)
    dossier = await create_ok(api, owner.token, "Ada")
    mate, membership = await teammate(api, owner.account_id, "ADMIN")
    ws = await _acked(url, mate)
    await _subscribe(ws, SUBSCRIBE, {"id": dossier})
    await add_entry(api, owner.token, dossier, "first")
    assert (await _next(ws))["payload"]["data"]["dossierUpdates"]["event"] == "entry.added"
    await Membership.filter(id=membership).delete()
    await add_entry(api, owner.token, dossier, "second")
    ended = await _next(ws)
    assert ended["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await _next(ws))["type"] == "complete"


async def test_log_out_ends_the_viewer_stream_and_a_guest_hears_of_a_share(live):
    api, url = live
    owner = await practice(api)
    dossier = await create_ok(api, owner.token, "Ada")
    guest_token, person = await guest(api)
    from domain.accounts.models import User
    await User.filter(id=person.id).update(email_verified_at=utc_now())  # I1: a proven address
    ws = await _acked(url, guest_token)
    await _subscribe(ws, VIEWER_UPDATES)
    shared = await api.data("mutation($input: ShareDossierInput!) { shareDossier(input: $input) { share { id } "
                            "userErrors { code } } }", {"input": {"dossierId": dossier, "email": person.email,
                                                                   "access": "VIEWER"}}, token=owner.token)
    update = (await _next(ws))["payload"]["data"]["viewerUpdates"]
    assert update["event"] == "share.created" and update["share"] == {"id": shared["shareDossier"]["share"]["id"]}
    other_device = await _acked(url, await token_for(api, person))
    await _subscribe(other_device, VIEWER_UPDATES)
    await api.data("mutation { logOut(input: {}) { userErrors { code } } }", token=guest_token)
    ended = await _next(ws)  # at once: no other event needed
    assert ended["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    heard = (await _next(other_device))["payload"]["data"]["viewerUpdates"]  # the person's other session goes on
    assert heard == {"event": "session.ended", "at": heard["at"], "share": None, "account": None}


@pytest_asyncio.fixture
async def make_live(db, settings, listen_url):
    """A factory of (api, ws URL) with settings changed as given."""
    from contextlib import AsyncExitStack

    from api.app import create_app
    from tests.conftest import ON_POSTGRES, Api

    async with AsyncExitStack() as stack:
        async def make(**overrides):
            client = Api(create_app(settings.replace(live_listen_url=listen_url,
                                            **overrides), manage_db=False))
            stack.push_async_callback(client.aclose)
            return client, await stack.enter_async_context(serving(client.app))
        yield make


async def test_production_refuses_introspection_in_a_subscription_document(make_live):
    from infra.settings import Environment

    api, url = await make_live(env=Environment.PRODUCTION)
    owner = await practice(api)
    ws = await _acked(url, owner.token)
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
        "query": "subscription S { viewerUpdates { event } } query Q { __schema { types { name } } }",
        "operationName": "S"}}))
    answer = await _next(ws)
    assert answer["type"] == "error", answer
    assert "introspection" in json.dumps(answer).lower()


async def test_trusted_documents_only_applies_to_subscriptions(make_live):
    from api.documents import add_trusted
    from tests.api.http.test_persisted_queries import sha

    api, _ = await make_live()  # the writes, over an open server
    _, url = await make_live(trusted_documents="only")
    owner = await practice(api)
    dossier = await create_ok(api, owner.token, "Ada")
    ws = await _acked(url, owner.token)
    await _subscribe(ws, SUBSCRIBE, {"id": dossier})
    refused = await _next(ws)
    assert refused["type"] == "error" and refused["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_IN_LIST"
    await add_trusted({sha(SUBSCRIBE): SUBSCRIBE})
    await ws.send(json.dumps({"id": "2", "type": "subscribe", "payload": {
        "variables": {"id": dossier}, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha(SUBSCRIBE)}}}}))
    await asyncio.sleep(0.2)
    await add_entry(api, owner.token, dossier, "trusted")
    assert (await _next(ws))["payload"]["data"]["dossierUpdates"]["event"] == "entry.added"


async def test_every_principal_kind_gets_what_its_queries_would(live):
    """T4, P3: a partner credential (every one holds dossiers:read) follows its account's
    dossiers but never billing; an operator no dossier at all; another account's owner
    nothing."""
    from tests.api.auth.test_machine_credentials import _credential, _token
    from tests.support.billing import operator_token

    api, url = live
    owner, stranger = await practice(api), await practice(api)
    dossier = await create_ok(api, owner.token, "Ada")
    reader, reader_secret = await _credential(api, owner.token, scopes=("dossiers:read",))
    reading = (await _token(api, reader["clientId"], reader_secret))["accessToken"]
    operator = await operator_token(api)
    codes = {}
    for name, token in (("operator", operator), ("stranger", stranger.token)):
        ws = await _acked(url, token)
        await _subscribe(ws, SUBSCRIBE, {"id": dossier})
        codes[name] = (await _next(ws))["payload"]["errors"][0]["extensions"]["code"]
        await ws.close()
    assert codes == {"operator": "FORBIDDEN", "stranger": "FORBIDDEN"}
    machine = await _acked(url, reading)
    await _subscribe(machine, SUBSCRIBE, {"id": dossier})
    await _subscribe(machine, "subscription { viewerUpdates { event account { id } } }", op="2")
    from api.live.connections import connections  # noqa: F401 - the process's registry is shared
    await add_entry(api, owner.token, dossier, "for the partner")
    assert (await _next(machine))["payload"]["data"]["dossierUpdates"]["event"] == "entry.added"
    from domain import events
    from infra.db import transaction
    async with transaction():
        await events.announce(events.SUBSCRIPTION_CHANGED, account_id=owner.account_id, now=utc_now())
    billing = (await _next(machine))["payload"]
    as_query = await api("query($id: ID!) { node(id: $id) { id } }", {"id": global_id("Account", owner.account_id)},
                         token=reading)
    assert billing["data"]["viewerUpdates"]["account"] == as_query["data"]["node"]


async def test_a_subscriber_that_falls_behind_is_dropped_with_slow_consumer(make_live):
    from domain import events
    from infra.db import transaction
    from tests.support.dossiers import pk

    api, url = await make_live(live_queue_size=2)
    owner = await practice(api)
    dossier = await create_ok(api, owner.token, "Ada")
    ws = await _acked(url, owner.token)
    await _subscribe(ws, SUBSCRIBE, {"id": dossier})
    async with transaction():  # five updates at once, more than the queue holds
        for _ in range(5):
            await events.announce(events.DOSSIER_UPDATED, account_id=owner.account_id, now=utc_now(),
                                  dossierId=("Dossier", pk(dossier)))
    ended = await _next(ws)
    assert ended["payload"]["errors"][0]["extensions"]["code"] == "SLOW_CONSUMER"
    assert (await _next(ws))["type"] == "complete"


async def test_connections_per_client_address_are_bounded(make_live):
    api, url = await make_live(live_connections_per_address=2)
    owner = await practice(api)
    first, second = await _acked(url, owner.token), await _acked(url, owner.token)
    third = await websockets.connect(url, subprotocols=["graphql-transport-ws"])
    assert await _closed(third) == (4429, "Too many connections from this address")
    await first.close()
    await asyncio.sleep(0.1)
    await (await _acked(url, owner.token)).close()  # a closed connection frees its place
    await second.close()


@pytest.mark.serial
async def test_a_client_that_never_sends_connection_init_or_goes_quiet_is_closed(make_live):
    api, url = await make_live(live_connection_init_seconds=0.3, live_ping_seconds=0.2, live_idle_timeout_seconds=0.6)
    owner = await practice(api)
    silent = await websockets.connect(url, subprotocols=["graphql-transport-ws"])
    assert (await _closed(silent))[0] == 4408
    quiet = await _acked(url, owner.token)
    assert await _closed(quiet) == (4408, "Idle timeout")  # it never answered the pings


async def test_a_page_on_a_foreign_origin_cannot_open_a_socket(make_live):
    """Cross-site WebSocket hijacking: browsers send Origin; only CORS_ORIGINS may connect."""
    _, url = await make_live(cors_origins=("https://app.example.org",))
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(url, subprotocols=["graphql-transport-ws"], origin="https://evil.example")
    assert refused.value.response.status_code == 403
    allowed = await websockets.connect(url, subprotocols=["graphql-transport-ws"], origin="https://app.example.org")
    await allowed.close()


@pytest.mark.serial
async def test_a_stream_outlives_the_execution_deadline_which_bounds_each_delivery(make_live):
    """O3's deadline is per execution: a subscription lasts, each update's resolution is bounded."""
    api, url = await make_live(execution_timeout_seconds=0.5)
    owner = await practice(api)
    dossier = await create_ok(api, owner.token, "Ada")
    ws = await _acked(url, owner.token)
    await _subscribe(ws, SUBSCRIBE, {"id": dossier})
    await asyncio.sleep(1.0)
    await add_entry(api, owner.token, dossier, "later")
    assert (await _next(ws))["payload"]["data"]["dossierUpdates"]["event"] == "entry.added"


async def test_an_unknown_operation_or_a_malformed_document_is_refused(live):
    api, url = live
    owner = await practice(api)
    ws = await _acked(url, owner.token)
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
        "query": "subscription A { viewerUpdates { event } }", "operationName": "Nope"}}))
    refused = await _next(ws)
    assert refused["type"] == "error"
    assert refused["payload"][0]["extensions"]["code"] == "OPERATION_RESOLUTION_FAILURE"  # as over HTTP
    await ws.close()
    ws = await _acked(url, owner.token)
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": "subscription {"}}))
    malformed = await _next(ws)
    assert malformed["type"] == "error" and malformed["payload"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


@pytest.mark.parametrize("payload, code", [
    ({"query": SUBSCRIBE}, "BAD_USER_INPUT"),  # a required variable left out
    ({"query": SUBSCRIBE, "variables": {"id": {"not": "an id"}}}, "BAD_USER_INPUT"),
    ({"query": "subscription { viewerUpdates { nope } }"}, "GRAPHQL_VALIDATION_FAILED"),
    ({"query": SUBSCRIBE, "variables": "not an object"}, None),
])
async def test_a_clients_mistake_is_never_an_internal_error(live, payload, code):
    api, url = live
    owner = await practice(api)
    ws = await _acked(url, owner.token)
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
    try:
        answer = await _next(ws)
    except websockets.ConnectionClosed:
        assert ws.close_code == 4400  # a malformed message closes the connection (the protocol's rule)
        return
    errors = answer["payload"] if answer["type"] == "error" else answer["payload"]["errors"]
    assert "INTERNAL_SERVER_ERROR" not in json.dumps(errors)
    if code is not None:
        assert errors[0]["extensions"]["code"] == code, errors
