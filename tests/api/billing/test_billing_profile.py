"""Billing profiles (B1): sign-up starts one from what it knows and says what is missing;
owners and admins complete it; VAT numbers are checked for their country; invoices are
announced to partner systems (`invoice.issued`)."""
from __future__ import annotations

import pytest
from standardwebhooks import Webhook

from tests.support.flows import sign_up
from tests.support.invoices import APRIL_15, PROFILE, UPDATE_PROFILE, invoices, upgrade_on_may_10
from tests.support.teammates import add_teammate
from tests.support.webhooks import send_due, start_receiver, subscribe

AUDIT = "{ account { auditLog(first: 5) { edges { node { action subject } } } } }"


async def _profile(api, token: str) -> dict:
    return (await api.data(PROFILE, token=token))["account"]["billingProfile"]


async def _update(api, token: str, **fields) -> dict:
    return (await api.data(UPDATE_PROFILE, {"input": fields}, token=token))["updateBillingProfile"]


@pytest.mark.parametrize("extra, country", [
    ({"country": "de"}, "DE"),                              # given, in any case
    ({"timeZone": "Europe/Vienna"}, "AT"),                  # else the time zone's country
    ({}, "NL"),                                             # Europe/Amsterdam by default
    ({"timeZone": "UTC"}, "NL"),                            # a zone of no country: the seller's market
])
async def test_b1_sign_up_starts_the_profile_and_says_what_is_missing(api, extra, country):
    owner = await sign_up(api, "Owner@Example.org", **extra)
    profile = await _profile(api, owner["accessToken"])
    assert profile == {"legalName": "Practice Owner", "addressLines": [], "postalCode": None, "city": None,
                       "country": country, "email": "owner@example.org", "vatNumber": None,
                       "missing": ["addressLines", "postalCode", "city"]}


async def test_b1_sign_up_refuses_a_country_that_is_no_iso_code(api):
    from tests.support.flows import SIGN_UP

    for wrong in ("Netherlands", "XX", "N"):
        body = await api.data(SIGN_UP, {"input": {"email": "x@example.org", "password": "correct horse 42",
                                                  "name": "X", "accountName": "X", "country": wrong}})
        assert [(e["code"], e["field"]) for e in body["signUp"]["userErrors"]] == [("INVALID_INPUT", ["country"])]


async def test_b1_owners_and_admins_complete_it_and_vat_numbers_are_checked(api, settings):
    owner = await sign_up(api, seats=3, country="DE")
    token = owner["accessToken"]
    done = await _update(api, token, legalName="Coaching Nord GmbH", addressLines=["Hafenstraße 7", " ", "2. OG"],
                         postalCode="20457", city="Hamburg", email="Buchhaltung@Example.org",
                         vatNumber="de 123 456 788")
    assert done["userErrors"] == []
    assert done["account"]["billingProfile"] == {
        "legalName": "Coaching Nord GmbH", "addressLines": ["Hafenstraße 7", "2. OG"], "postalCode": "20457",
        "city": "Hamburg", "country": "DE", "email": "buchhaltung@example.org", "vatNumber": "DE123456788",
        "missing": []}
    refused = []
    for fields in ({"vatNumber": "DE123456789"},                  # check digit
                   {"country": "NL"},                              # the VAT number is not the Netherlands'
                   {"country": "Germany"}, {"email": "not-an-address"}, {"legalName": " "},
                   {"addressLines": ["a", "b", "c", "d"]}, {"city": "x" * 101}, {"addressLines": ["Line\nbreak"]}):
        refused.extend([e["field"] for e in (await _update(api, token, **fields))["userErrors"]])
    assert refused == [["vatNumber"], ["vatNumber"], ["country"], ["email"], ["legalName"], ["addressLines"],
                       ["city"], ["addressLines"]]
    assert (await _profile(api, token))["vatNumber"] == "DE123456788"  # refused changes changed nothing
    moved = await _update(api, token, country="NL", vatNumber="NL123456794B01")
    assert moved["account"]["billingProfile"]["vatNumber"] == "NL123456794B01"
    cleared = await _update(api, token, vatNumber=None, postalCode=None)
    assert (cleared["account"]["billingProfile"]["vatNumber"], cleared["account"]["billingProfile"]["missing"]) == (
        None, ["postalCode"])

    admin = (await add_teammate(api, settings, token, "admin@example.org", role="ADMIN"))["accessToken"]
    assert (await _update(api, admin, city="Bremen"))["userErrors"] == []
    member = (await add_teammate(api, settings, token, "member@example.org"))["accessToken"]
    body = await api(UPDATE_PROFILE, {"input": {"city": "Kiel"}}, token=member)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await _profile(api, token))["city"] == "Bremen"
    audit = (await api.data(AUDIT, token=token))["account"]["auditLog"]["edges"]
    assert any(edge["node"]["action"] == "account.updated" and edge["node"]["subject"].startswith("billing_profile:")
               for edge in audit)


async def test_b6_every_invoice_is_announced_to_partner_systems(api, settings):
    receiver, server = start_receiver()
    try:
        api.deliver = False
        owner = await sign_up(api, now=APRIL_15)
        token = owner["accessToken"]
        endpoint = await subscribe(api, token, receiver.url, ["invoice.issued"])
        await upgrade_on_may_10(api, token)
        await send_due(settings)
    finally:
        server.shutdown()
        server.server_close()
    [request] = receiver.received  # the sign-up's invoice came before the endpoint existed
    payload = Webhook(endpoint["secret"]).verify(request.body, request.headers)
    upgrade = (await invoices(api, token))[1]
    assert payload["type"] == "invoice.issued"
    assert {key: payload["data"][key] for key in ("accountId", "invoiceId")} == {
        "accountId": owner["viewer"]["account"]["id"], "invoiceId": upgrade["id"]}
    assert payload["data"]["sequence"] >= 1  # the account's order of events (O5)


@pytest.mark.parametrize("country, vat_number", [("NL", "NL" + "1" * 10000), ("CH", "CHE" + "1" * 10000),
                                                 ("DE", "9" * 5000)])
async def test_b1_an_overlong_vat_number_is_the_client_s_mistake(api, country, vat_number):
    owner = await sign_up(api, country=country)
    token = owner["accessToken"]
    body = await api(UPDATE_PROFILE, {"input": {"vatNumber": vat_number}}, token=token)
    assert not body.get("errors"), body["errors"]  # was INTERNAL_SERVER_ERROR (integer conversion limit)
    assert [e["field"] for e in body["data"]["updateBillingProfile"]["userErrors"]] == [["vatNumber"]]
