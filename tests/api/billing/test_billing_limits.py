"""Q5 through the API: limit errors carry a stored quote the owner applies in one step
(S6 seats, A3 active clients), and a cancelled account writes nothing (S9)."""
from __future__ import annotations

from tests.support.billing import CANCEL, QUOTE_FIELDS, apply, new_key, quote, subscription
from tests.support.flows import sign_up

APRIL_15 = "2026-04-15T10:00:00+02:00"
MAY_10 = "2026-05-10T12:00:00+02:00"

INVITE = """
mutation($input: InviteTeammateInput!) {
  inviteTeammate(input: $input) { invitation { id } userErrors { code field } quote { %s } }
}""" % QUOTE_FIELDS

CREATE_DOSSIER = """
mutation($input: CreateDossierInput!) {
  createDossier(input: $input) { dossier { id } userErrors { code } quote { %s } }
}""" % QUOTE_FIELDS


async def test_q5_s6_seat_limit_carries_a_quote_for_one_more_seat(api):
    token = (await sign_up(api, now=APRIL_15))["accessToken"]
    refused = (await api.data(INVITE, {"input": {"email": "new@example.org", "role": "MEMBER"}},
                              token=token, now=MAY_10))["inviteTeammate"]
    assert [e["code"] for e in refused["userErrors"]] == ["SEAT_LIMIT_REACHED"]
    assert refused["invitation"] is None
    q = refused["quote"]
    assert q["dueNow"]["amount"] == "2.50"
    assert [(l["change"], l["from"], l["to"]) for l in q["lines"]] == [("SEATS", "1", "2")]

    applied = await apply(api, token, q["id"], new_key(), MAY_10)
    assert applied["userErrors"] == [] and applied["subscription"]["seats"] == 2
    invited = (await api.data(INVITE, {"input": {"email": "new@example.org", "role": "MEMBER"}},
                              token=token, now=MAY_10))["inviteTeammate"]
    assert invited["userErrors"] == [] and invited["quote"] is None


async def test_q5_a3_active_client_limit_carries_a_quote_for_the_next_tier(api):
    token = (await sign_up(api, now=APRIL_15))["accessToken"]
    for n in range(10):
        made = (await api.data(CREATE_DOSSIER, {"input": {"clientName": f"Client {n}"}},
                               token=token, now=MAY_10))["createDossier"]
        assert made["userErrors"] == [], made
    refused = (await api.data(CREATE_DOSSIER, {"input": {"clientName": "Client 11"}},
                              token=token, now=MAY_10))["createDossier"]
    assert [e["code"] for e in refused["userErrors"]] == ["ACTIVE_CLIENT_LIMIT_REACHED"]
    q = refused["quote"]
    assert [(l["change"], l["to"]) for l in q["lines"]] == [("ACTIVE_CLIENT_TIER", "UP_TO_25")]
    assert q["dueNow"]["amount"] == "2.50"
    await apply(api, token, q["id"], new_key(), MAY_10)
    again = (await api.data(CREATE_DOSSIER, {"input": {"clientName": "Client 11"}},
                            token=token, now=MAY_10))["createDossier"]
    assert again["userErrors"] == []


async def test_s9_after_the_end_date_the_account_reads_but_cannot_write(api):
    token = (await sign_up(api, now=APRIL_15))["accessToken"]
    made = (await api.data(CREATE_DOSSIER, {"input": {"clientName": "Kept"}}, token=token, now=MAY_10))["createDossier"]
    cancelled = (await api.data(CANCEL, token=token, now=MAY_10))["cancelSubscription"]
    assert cancelled == {"subscription": {"cancelsOn": "2026-05-15", "renewsOn": "2026-05-15"}, "userErrors": []}

    before_end = (await api.data(CREATE_DOSSIER, {"input": {"clientName": "Still fine"}},
                                 token=token, now="2026-05-14T20:00:00+02:00"))["createDossier"]
    assert before_end["userErrors"] == []
    after = "2026-05-15T09:00:00+02:00"
    refused = (await api.data(CREATE_DOSSIER, {"input": {"clientName": "Too late"}}, token=token, now=after))["createDossier"]
    assert [e["code"] for e in refused["userErrors"]] == ["ACCOUNT_READ_ONLY"]
    assert [e["code"] for e in (await quote(api, token, after, seats=2))["userErrors"]] == ["ACCOUNT_READ_ONLY"]
    # Reading still works, and nothing was deleted.
    read = await api.data("query($id: ID!) { dossier(id: $id) { clientName } }",
                          {"id": made["dossier"]["id"]}, token=token, now=after)
    assert read["dossier"]["clientName"] == "Kept"
    assert (await subscription(api, token, now=after))["cancelsOn"] == "2026-05-15"


async def test_s9_an_ended_account_invites_no_teammates(api):
    token = (await sign_up(api, now=APRIL_15, seats=3))["accessToken"]
    await api.data(CANCEL, token=token, now=MAY_10)
    invite = (await api.data(INVITE, {"input": {"email": "late@example.org", "role": "MEMBER"}},
                             token=token, now="2026-05-15T09:00:00+02:00"))["inviteTeammate"]
    assert [e["code"] for e in invite["userErrors"]] == ["ACCOUNT_READ_ONLY"]
