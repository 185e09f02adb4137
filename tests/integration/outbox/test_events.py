"""T5/O1: a write announces its event in its own transaction — ids, never content — as
one delivery per subscribed endpoint; without endpoints nothing is queued."""
import json

from domain.webhooks.models import WebhookDelivery
from tests.support.flows import sign_up

CREATE = """mutation($input: CreateDossierInput!) { createDossier(input: $input) { dossier { id } userErrors { code } } }"""
ENDPOINT = """mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) {
  endpoint { id } userErrors { code } } }"""


async def _subscribe(api, token, events=("*",)):
    payload = (await api.data(ENDPOINT, {"input": {"url": "http://127.0.0.1:9/hook", "events": list(events)}},
                              token=token))["createWebhookEndpoint"]
    assert payload["userErrors"] == []


async def test_creating_a_dossier_announces_it_with_ids_only(api):
    api.deliver = False
    owner = await sign_up(api)
    await _subscribe(api, owner["accessToken"])
    created = (await api.data(CREATE, {"input": {"clientName": "Zoë Secret", "reference": "R-77"}},
                              token=owner["accessToken"]))["createDossier"]
    [delivery] = await WebhookDelivery.all()
    body = json.loads(delivery.body)
    assert body["type"] == "dossier.created"
    assert body["data"] == {"accountId": owner["viewer"]["account"]["id"], "dossierId": created["dossier"]["id"],
                            "sequence": body["data"]["sequence"]}
    assert isinstance(body["data"]["sequence"], int) and body["data"]["sequence"] >= 1  # O5
    assert "Zoë" not in delivery.body and "R-77" not in delivery.body


async def test_without_endpoints_nothing_is_queued(api):
    owner = await sign_up(api)
    await api.data(CREATE, {"input": {"clientName": "Zoë"}}, token=owner["accessToken"])
    assert await WebhookDelivery.all().count() == 0


async def test_a_refused_write_announces_nothing(api):
    api.deliver = False
    owner = await sign_up(api)
    await _subscribe(api, owner["accessToken"])
    refused = (await api.data(CREATE, {"input": {"clientName": "  "}}, token=owner["accessToken"]))["createDossier"]
    assert refused["userErrors"][0]["code"] == "INVALID_INPUT"
    assert await WebhookDelivery.all().count() == 0
