"""Who manages webhooks (T5): owners, admins, and machine credentials holding
`webhooks:manage` — never members, guests, or another account (NOT_FOUND, D4). What they
see names no person. Every change is audited (P1)."""
from __future__ import annotations

import json

from domain.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.support.flows import sign_up
from tests.support.teammates import add_teammate
from tests.support.webhooks import (
    CREATE_DOSSIER, CREATE_ENDPOINT, DELETE, ENDPOINTS, REPLAY, ROTATE, UPDATE_ENDPOINT, deliveries, send_due,
    subscribe,
)

MACHINE = """mutation($scopes: [String!]!) { createMachineCredential(input: {name: "Partner", scopes: $scopes}) {
  credential { clientId } clientSecret userErrors { code } } }"""
ISSUE = """mutation($id: String!, $secret: String!) { issueMachineToken(input: {clientId: $id, clientSecret: $secret}) {
  accessToken userErrors { code } } }"""
NODE = """query($id: ID!) { node(id: $id) { id ... on WebhookEndpoint { url } ... on WebhookDelivery { event } } }"""
AUDIT = "{ account { auditLog(first: 50) { edges { node { action subject } } } } }"



def _codes(body: dict) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors") or []]


async def _machine_token(api, owner_token: str, scopes: list[str]) -> str:
    made = (await api.data(MACHINE, {"scopes": scopes}, token=owner_token))["createMachineCredential"]
    assert made["userErrors"] == []
    issued = (await api.data(ISSUE, {"id": made["credential"]["clientId"], "secret": made["clientSecret"]}))
    return issued["issueMachineToken"]["accessToken"]


async def test_members_can_neither_see_nor_manage_endpoints(api, settings):
    owner = await sign_up(api, seats=2)
    member = await add_teammate(api, settings, owner["accessToken"], "mia@example.org", "MEMBER")
    body = await api(CREATE_ENDPOINT, {"input": {"url": "http://127.0.0.1:9/h", "events": ["*"]}},
                     token=member["accessToken"])
    assert _codes(body) == ["FORBIDDEN"]
    assert _codes(await api(ENDPOINTS, token=member["accessToken"])) == ["FORBIDDEN"]
    assert await WebhookEndpoint.all().count() == 0


async def test_admins_manage_endpoints(api, settings):
    owner = await sign_up(api, seats=2)
    admin = await add_teammate(api, settings, owner["accessToken"], "ada@example.org", "ADMIN")
    created = await subscribe(api, admin["accessToken"], "http://127.0.0.1:9/h")
    listed = (await api.data(ENDPOINTS, token=owner["accessToken"]))["account"]["webhookEndpoints"]
    assert [e["id"] for e in listed] == [created["endpoint"]["id"]]


async def test_a_machine_credential_with_webhooks_manage_manages_endpoints_but_not_the_team(api, receiver, settings):
    owner = await sign_up(api)
    machine = await _machine_token(api, owner["accessToken"], ["webhooks:manage"])
    created = await subscribe(api, machine, receiver.url, ["dossier.created"])
    rotated = (await api.data(ROTATE, {"id": created["endpoint"]["id"]}, token=machine))["rotateWebhookSecret"]
    assert rotated["userErrors"] == [] and rotated["secret"].startswith("whsec_")

    api.deliver = False
    await api.data(CREATE_DOSSIER, {"name": "Ann"}, token=owner["accessToken"])
    await send_due(settings)
    listed = (await api.data(ENDPOINTS, token=machine))["account"]["webhookEndpoints"]
    assert listed[0]["deliveries"]["edges"][0]["node"]["status"] == "SUCCEEDED"

    for forbidden in ("{ account { teammates { user { email } } } }", "{ account { subscription { seats } } }",
                      "{ account { auditLog { edges { cursor } } } }"):
        assert _codes(await api(forbidden, token=machine)) == ["FORBIDDEN"], forbidden


async def test_a_machine_credential_without_webhooks_manage_is_forbidden(api):
    owner = await sign_up(api)
    machine = await _machine_token(api, owner["accessToken"], ["dossiers:read", "dossiers:write"])
    body = await api(CREATE_ENDPOINT, {"input": {"url": "http://127.0.0.1:9/h", "events": ["*"]}}, token=machine)
    assert _codes(body) == ["FORBIDDEN"]
    assert _codes(await api(ENDPOINTS, token=machine)) == ["FORBIDDEN"]


async def test_endpoints_and_deliveries_name_no_person(api, receiver, settings):
    api.deliver = False
    owner = await sign_up(api, "olga.owner@example.org")
    await subscribe(api, owner["accessToken"], receiver.url)
    await api.data(CREATE_DOSSIER, {"name": "Ann"}, token=owner["accessToken"])
    await send_due(settings)
    shown = json.dumps(await api.data(ENDPOINTS, token=owner["accessToken"]))
    assert "@" not in shown and "olga" not in shown


async def test_another_account_s_endpoints_and_deliveries_are_not_found(api, receiver, settings):
    api.deliver = False
    owner = await sign_up(api)
    endpoint = await subscribe(api, owner["accessToken"], receiver.url)
    endpoint_id = endpoint["endpoint"]["id"]
    await api.data(CREATE_DOSSIER, {"name": "Ann"}, token=owner["accessToken"])
    await send_due(settings)
    [delivery] = await deliveries(api, owner["accessToken"])
    stranger = (await sign_up(api))["accessToken"]

    for query, variables, field in (
            (UPDATE_ENDPOINT, {"input": {"endpointId": endpoint_id, "enabled": False}}, "updateWebhookEndpoint"),
            (UPDATE_ENDPOINT, {"input": {"endpointId": endpoint_id, "url": "http://127.0.0.1:1/x"}},
             "updateWebhookEndpoint"),
            (ROTATE, {"id": endpoint_id}, "rotateWebhookSecret"),
            (DELETE, {"id": endpoint_id}, "deleteWebhookEndpoint"),
            (REPLAY, {"id": delivery["id"]}, "replayWebhookDelivery"),
            (REPLAY, {"id": endpoint_id}, "replayWebhookDelivery"),           # an id of the wrong type
            (DELETE, {"id": "not-an-id"}, "deleteWebhookEndpoint")):
        payload = (await api.data(query, variables, token=stranger))[field]
        assert [e["code"] for e in payload["userErrors"]] == ["NOT_FOUND"], (field, variables)
    for node_id in (endpoint_id, delivery["id"]):
        assert (await api.data(NODE, {"id": node_id}, token=stranger))["node"] is None
        assert (await api.data(NODE, {"id": node_id}, token=owner["accessToken"]))["node"]["id"] == node_id

    stored = await WebhookEndpoint.get()
    assert stored.enabled and stored.url == receiver.url and stored.previous_secret_encrypted is None
    assert await WebhookDelivery.all().count() == 1


async def test_changes_are_audited_without_the_url_s_path(api, receiver, settings):
    api.deliver = False
    owner = await sign_up(api)
    token = owner["accessToken"]
    endpoint = await subscribe(api, token, receiver.url + "?token=partner-secret-123")
    endpoint_id = endpoint["endpoint"]["id"]
    await api.data(CREATE_DOSSIER, {"name": "Ann"}, token=token)
    await send_due(settings)
    [delivery] = await deliveries(api, token)
    await api.data(REPLAY, {"id": delivery["id"]}, token=token)
    await api.data(UPDATE_ENDPOINT, {"input": {"endpointId": endpoint_id, "events": ["entry.added"]}}, token=token)
    await api.data(ROTATE, {"id": endpoint_id}, token=token)
    assert (await api.data(DELETE, {"id": endpoint_id}, token=token))["deleteWebhookEndpoint"]["ok"] is True

    log = (await api.data(AUDIT, token=token))["account"]["auditLog"]["edges"]
    actions = [edge["node"]["action"] for edge in log if edge["node"]["action"].startswith("webhook")]
    assert actions == ["webhook_endpoint.deleted", "webhook_endpoint.secret_rotated", "webhook_endpoint.updated",
                       "webhook_delivery.replayed", "webhook_endpoint.created"]
    from domain.audit.models import AuditEvent

    details = json.dumps([event.detail for event in await AuditEvent.filter(action__startswith="webhook")])
    assert "partner-secret-123" not in details and "/hook" not in details
    assert await WebhookEndpoint.all().count() == 0 and await WebhookDelivery.all().count() == 0
