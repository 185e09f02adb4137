"""T5/O1: a write announces its event in its own transaction — ids, never content."""
import json

from domain.outbox.models import OutboxMessage
from tests.support.flows import sign_up

CREATE = """mutation($input: CreateDossierInput!) { createDossier(input: $input) { dossier { id } userErrors { code } } }"""


async def test_creating_a_dossier_announces_it_with_ids_only(api):
    owner = await sign_up(api)
    created = (await api.data(CREATE, {"input": {"clientName": "Zoë Secret", "reference": "R-77"}},
                              token=owner["accessToken"]))["createDossier"]
    [event] = await OutboxMessage.filter(kind="event")
    assert event.payload["type"] == "dossier.created"
    assert event.payload["data"] == {"accountId": owner["viewer"]["account"]["id"],
                                     "dossierId": created["dossier"]["id"]}
    assert "Zoë" not in json.dumps(event.payload) and "R-77" not in json.dumps(event.payload)


async def test_a_refused_write_announces_nothing(api):
    owner = await sign_up(api)
    refused = (await api.data(CREATE, {"input": {"clientName": "  "}}, token=owner["accessToken"]))["createDossier"]
    assert refused["userErrors"][0]["code"] == "INVALID_INPUT"
    assert await OutboxMessage.filter(kind="event").count() == 0
