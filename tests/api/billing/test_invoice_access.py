"""Who reads invoices and their PDFs (B6; T4, D4): owners and admins of the account and
operators; never members, machine credentials or another account, and the PDF answers
every stranger with the same 404."""
from __future__ import annotations

from tests.support.billing import operator_token
from tests.support.flows import sign_up
from tests.support.invoices import OPERATOR_INVOICES, PROFILE, invoices, pdf_response, pdf_text
from tests.support.teammates import add_teammate

NODE = """query($id: ID!) { node(id: $id) { ... on Invoice { number } } }"""
CREATE_CREDENTIAL = """mutation($input: CreateMachineCredentialInput!) { createMachineCredential(input: $input) {
  credential { clientId } clientSecret userErrors { code } } }"""
ISSUE = """mutation($id: String!, $secret: String!) { issueMachineToken(input: {clientId: $id, clientSecret: $secret}) {
  accessToken } }"""
INVOICE_NUMBERS = "{ account { invoices { edges { node { number } } } } }"


def _code(body: dict) -> str | None:
    return (body.get("errors") or [{}])[0].get("extensions", {}).get("code")


async def _machine_token(api, owner_token: str) -> str:
    created = (await api.data(CREATE_CREDENTIAL, {"input": {"name": "Partner", "scopes": [
        "dossiers:read", "dossiers:write", "webhooks:manage"]}}, token=owner_token))["createMachineCredential"]
    issued = await api.data(ISSUE, {"id": created["credential"]["clientId"], "secret": created["clientSecret"]})
    return issued["issueMachineToken"]["accessToken"]


async def test_b6_owners_admins_and_operators_read_invoices_and_their_pdf(api, settings):
    owner = await sign_up(api, seats=2)
    token, account_id = owner["accessToken"], owner["viewer"]["account"]["id"]
    [invoice] = await invoices(api, token)
    admin = (await add_teammate(api, settings, token, "admin@example.org", role="ADMIN"))["accessToken"]
    operator = await operator_token(api)

    assert [i["number"] for i in await invoices(api, admin)] == [invoice["number"]]
    assert (await api.data(NODE, {"id": invoice["id"]}, token=admin))["node"] == {"number": invoice["number"]}
    assert (await api.data(NODE, {"id": invoice["id"]}, token=operator))["node"] == {"number": invoice["number"]}
    seen = (await api.data(OPERATOR_INVOICES, {"id": account_id}, token=operator))["operatorAccount"]
    assert [edge["node"]["number"] for edge in seen["invoices"]["edges"]] == [invoice["number"]]
    for reader in (token, admin, operator):
        response = await pdf_response(api, invoice["pdfUrl"], reader)
        assert response.status_code == 200, reader
        assert invoice["number"] in pdf_text(response.content)


async def test_b6_members_machines_and_other_accounts_never_read_them(api, settings):
    owner = await sign_up(api, seats=2)
    token = owner["accessToken"]
    [invoice] = await invoices(api, token)
    member = (await add_teammate(api, settings, token, "member@example.org"))["accessToken"]
    machine = await _machine_token(api, token)
    stranger = (await sign_up(api))["accessToken"]

    for query in (INVOICE_NUMBERS, PROFILE):
        assert _code(await api(query, token=member)) == "FORBIDDEN"
        assert _code(await api(query, token=machine)) in ("FORBIDDEN", "PEOPLE_ONLY")
    for reader in (member, machine, stranger):
        # D4: an invoice of another account, or one the reader may not see, is just absent.
        assert (await api.data(NODE, {"id": invoice["id"]}, token=reader))["node"] is None
        assert (await pdf_response(api, invoice["pdfUrl"], reader)).status_code == 404
    # The stranger's own list holds only its own invoice.
    assert [i["number"] for i in await invoices(api, stranger)] == ["CB-2026-000002"]


async def test_b6_the_pdf_path_tells_nothing_to_guessers(api):
    owner = await sign_up(api)
    token = owner["accessToken"]
    [invoice] = await invoices(api, token)
    known = invoice["pdfUrl"]
    not_found = []
    for path, bearer in ((known, None), (known, "not-a-token"), ("/invoices/1.pdf", token),
                         ("/invoices/SW52b2ljZTo5OTk.pdf", token),  # Invoice:999, no such invoice
                         ("/invoices/RG9zc2llcjox.pdf", token),  # Dossier:1, another type
                         ("/invoices/SW52b2ljZTowMQ.pdf", token)):  # "Invoice:01", a second spelling of 1
        response = await pdf_response(api, path, bearer)
        not_found.append((response.status_code, response.json()))
    assert not_found == [(404, {"error": "not found"})] * 6
    response = await api.http.get(known, headers={"authorization": "Basic " + token})
    assert response.status_code == 404
