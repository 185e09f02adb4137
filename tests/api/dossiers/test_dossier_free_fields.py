"""D1: the client's profile has free fields besides name, date of birth and reference;
editing them is a profile edit (A1)."""
from tests.support.flows import sign_up

CREATE = """mutation($input: CreateDossierInput!) { createDossier(input: $input) {
  dossier { id freeFields { name value } activeThisMonth } userErrors { code field } } }"""
UPDATE = """mutation($input: UpdateDossierInput!) { updateDossier(input: $input) {
  dossier { freeFields { name value } } userErrors { code field } } }"""


async def test_d1_free_fields_are_stored_in_order_and_replaced_as_a_whole(api):
    token = (await sign_up(api))["accessToken"]
    fields = [{"name": "School", "value": "De Regenboog"}, {"name": "Allergies", "value": "peanuts"}]
    created = (await api.data(CREATE, {"input": {"clientName": "Ada", "freeFields": fields}}, token=token))["createDossier"]
    assert created["dossier"]["freeFields"] == fields

    dossier_id = created["dossier"]["id"]
    kept = (await api.data(UPDATE, {"input": {"dossierId": dossier_id, "clientName": "Ada L."}}, token=token))
    assert kept["updateDossier"]["dossier"]["freeFields"] == fields  # not sent: unchanged
    replaced = (await api.data(UPDATE, {"input": {"dossierId": dossier_id, "freeFields": [fields[1]]}}, token=token))
    assert replaced["updateDossier"]["dossier"]["freeFields"] == [fields[1]]
    cleared = (await api.data(UPDATE, {"input": {"dossierId": dossier_id, "freeFields": None}}, token=token))
    assert cleared["updateDossier"]["dossier"]["freeFields"] == []


async def test_d1_bad_free_fields_are_refused_and_nothing_is_written(api):
    from domain.dossiers.models import Dossier

    token = (await sign_up(api))["accessToken"]
    bad = [
        [{"name": "School", "value": "A"}, {"name": "school", "value": "B"}],
        [{"name": " ", "value": "A"}],
        [{"name": "Note", "value": "x" * 2001}],
        [{"name": f"F{i}", "value": "v"} for i in range(31)],
    ]
    for fields in bad:
        payload = (await api.data(CREATE, {"input": {"clientName": "Ada", "freeFields": fields}}, token=token))["createDossier"]
        assert payload["userErrors"] == [{"code": "INVALID_INPUT", "field": ["freeFields"]}]
    assert await Dossier.all().count() == 0
