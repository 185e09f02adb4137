"""Operators correct invoices with credit notes and record payments (B5): numbered in the
same sequence, referring to the invoice, negative amounts, taxed as the invoice was; the
invoice itself never changes."""
from __future__ import annotations

from tests.support.billing import operator_token
from tests.support.invoices import CREDIT, MARK_PAID, MAY_10, given_buyer, invoices, pdf_response, pdf_text, \
    upgrade_on_may_10

MAY_12 = "2026-05-12T09:00:00+02:00"


def _code(body: dict) -> str | None:
    return (body.get("errors") or [{}])[0].get("extensions", {}).get("code")


async def test_b5_an_operators_credit_note_corrects_an_invoice(api):
    owner = await given_buyer(api, "nl_practice")
    token = owner["accessToken"]
    await upgrade_on_may_10(api, token)
    _, upgrade = await invoices(api, token)
    operator = await operator_token(api)

    full = {"invoiceId": upgrade["id"], "reason": "Upgrade charged twice by mistake"}
    note = (await api.data(CREDIT, {"input": full}, token=operator, now=MAY_12))["issueCreditNote"]
    assert note["userErrors"] == []
    credit = note["invoice"]
    assert (credit["kind"], credit["number"], credit["issuedOn"]) == ("CREDIT_NOTE", "CB-2026-000003", "2026-05-12")
    assert credit["corrects"] == {"id": upgrade["id"], "number": upgrade["number"]}
    assert [line["net"]["amount"] for line in credit["lines"]] == ["-2.50"]
    assert (credit["netTotal"]["amount"], credit["vatTotal"]["amount"], credit["grossTotal"]["amount"]) == (
        "-2.50", "-0.53", "-3.03")  # exactly the invoice, negated
    assert credit["buyer"] == upgrade["buyer"]

    text = pdf_text((await pdf_response(api, credit["pdfUrl"], token)).content)
    for expected in ("Creditnota", "CB-2026-000003", "Correctie op factuur CB-2026-000002 van 10 mei 2026",
                     "-€ 2,50", "Upgrade charged twice by mistake"):
        assert expected.replace("-€ ", "€ -") in text or expected in text, (expected, text)

    # Credited in full: nothing is left to credit; the invoice itself is unchanged.
    again = (await api.data(CREDIT, {"input": full}, token=operator, now=MAY_12))["issueCreditNote"]
    assert [e["code"] for e in again["userErrors"]] == ["INVALID_INPUT"]
    assert (await invoices(api, token))[1] == upgrade
    assert [i["number"] for i in await invoices(api, token)] == ["CB-2026-000001", "CB-2026-000002", "CB-2026-000003"]


async def test_b5_a_partial_credit_note_and_its_limits(api):
    owner = await given_buyer(api, "de_practice")
    token = owner["accessToken"]
    [first] = await invoices(api, token)
    operator = await operator_token(api)

    too_much = {"invoiceId": first["id"], "reason": "Goodwill", "amount": "30.01"}
    refused = (await api.data(CREDIT, {"input": too_much}, token=operator, now=MAY_10))["issueCreditNote"]
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [("INVALID_INPUT", ["amount"])]
    for bad in ("0", "-1", "1.001", "1E+30", "NaN"):
        body = await api.data(CREDIT, {"input": {**too_much, "amount": bad}}, token=operator, now=MAY_10)
        assert body["issueCreditNote"]["userErrors"][0]["field"] == ["amount"], bad
    blank = await api.data(CREDIT, {"input": {**too_much, "reason": "  "}}, token=operator, now=MAY_10)
    assert blank["issueCreditNote"]["userErrors"][0]["field"] == ["reason"]

    partial = {"invoiceId": first["id"], "reason": "Goodwill", "amount": "10.00"}
    note = (await api.data(CREDIT, {"input": partial}, token=operator, now=MAY_10))["issueCreditNote"]["invoice"]
    assert (note["number"], note["netTotal"]["amount"], note["vatTotal"]["amount"], note["grossTotal"]["amount"]) == (
        "CB-2026-000002", "-10.00", "-1.90", "-11.90")  # DE 19 %, the invoice's treatment
    rest = (await api.data(CREDIT, {"input": {"invoiceId": first["id"], "reason": "The rest"}}, token=operator,
                           now=MAY_10))["issueCreditNote"]["invoice"]
    assert rest["netTotal"]["amount"] == "-20.00"
    # Refused attempts took no number (B3): the sequence has no gap.
    assert [i["number"] for i in await invoices(api, token)] == ["CB-2026-000001", "CB-2026-000002", "CB-2026-000003"]


async def test_b5_only_operators_correct_or_mark_paid(api):
    owner = await given_buyer(api, "nl_practice")
    token = owner["accessToken"]
    [first] = await invoices(api, token)
    operator = await operator_token(api)
    for mutation, variables in ((CREDIT, {"input": {"invoiceId": first["id"], "reason": "Mine"}}),
                                (MARK_PAID, {"input": {"invoiceId": first["id"], "paidOn": "2026-04-20"}})):
        assert _code(await api(mutation, variables, token=token)) == "FORBIDDEN"
    unknown = (await api.data(MARK_PAID, {"input": {"invoiceId": "SW52b2ljZTo5OTk", "paidOn": "2026-04-20"}},
                              token=operator, now=MAY_10))["markInvoicePaid"]
    assert [e["code"] for e in unknown["userErrors"]] == ["NOT_FOUND"]


async def test_b5_marking_paid_is_recorded_once_and_leaves_the_invoice_as_issued(api):
    owner = await given_buyer(api, "nl_practice")
    token = owner["accessToken"]
    [first] = await invoices(api, token, now=MAY_10)
    operator = await operator_token(api)
    early = {"invoiceId": first["id"], "paidOn": "2026-04-14"}
    assert (await api.data(MARK_PAID, {"input": early}, token=operator, now=MAY_10))["markInvoicePaid"][
        "userErrors"][0]["field"] == ["paidOn"]
    paid = {"invoiceId": first["id"], "paidOn": "2026-04-20"}
    marked = (await api.data(MARK_PAID, {"input": paid}, token=operator, now=MAY_10))["markInvoicePaid"]
    assert marked == {"invoice": {"id": first["id"], "status": "PAID"}, "userErrors": []}
    twice = (await api.data(MARK_PAID, {"input": paid}, token=operator, now=MAY_10))["markInvoicePaid"]
    assert [e["code"] for e in twice["userErrors"]] == ["ALREADY_EXISTS"]
    [after] = await invoices(api, token, now=MAY_10)
    assert after == {**first, "status": "PAID"}


async def test_o4_b5_an_operators_correction_is_dated_by_the_account_s_test_clock(api):
    # The account lives in 2030 (its requests said so); the operator sends no business time.
    # Its credit note and payment happen at the account's clock, as everything else does
    # to it (O4): never dated before the invoice they correct, nor numbered in another year (B3).
    owner = await given_buyer(api, "nl_practice", now="2030-04-15T10:00:00+02:00")
    token = owner["accessToken"]
    [first] = await invoices(api, token)
    assert (first["number"], first["issuedOn"]) == ("CB-2030-000001", "2030-04-15")
    operator = await operator_token(api)

    paid = (await api.data(MARK_PAID, {"input": {"invoiceId": first["id"], "paidOn": "2030-04-15"}},
                           token=operator))["markInvoicePaid"]
    assert paid["userErrors"] == [] and paid["invoice"]["status"] == "PAID", paid
    note = (await api.data(CREDIT, {"input": {"invoiceId": first["id"], "reason": "Goodwill", "amount": "1.00"}},
                           token=operator))["issueCreditNote"]
    assert note["userErrors"] == [], note
    assert (note["invoice"]["number"], note["invoice"]["issuedOn"]) == ("CB-2030-000002", "2030-04-15")


async def test_b5_concurrent_credit_notes_credit_an_invoice_once(api):
    # On PostgreSQL as the application's role, which may only read and add invoices (the
    # credit note once failed there: a row lock on an invoice needs UPDATE).
    import asyncio

    owner = await given_buyer(api, "de_practice")
    token = owner["accessToken"]
    [first] = await invoices(api, token)
    operator = await operator_token(api)
    whole = {"input": {"invoiceId": first["id"], "reason": "Twice at once"}}
    answers = await asyncio.gather(*(api.data(CREDIT, whole, token=operator, now=MAY_10) for _ in range(4)))
    outcomes = sorted("ok" if a["issueCreditNote"]["invoice"] else a["issueCreditNote"]["userErrors"][0]["code"]
                      for a in answers)
    assert outcomes == ["INVALID_INPUT", "INVALID_INPUT", "INVALID_INPUT", "ok"]
    assert [i["number"] for i in await invoices(api, token)] == ["CB-2026-000001", "CB-2026-000002"]


async def test_b4_b5_credit_notes_that_credit_an_invoice_in_full_credit_its_vat_to_the_cent(api):
    # 2.50 net at 21 % is 0.53 VAT; two halves would be 0.26 each (0.2625, half up): the
    # last credit note takes what is left of the VAT, so nothing stays owed once all is credited.
    owner = await given_buyer(api, "nl_practice")
    token = owner["accessToken"]
    await upgrade_on_may_10(api, token)
    _, upgrade = await invoices(api, token)
    operator = await operator_token(api)
    half = {"invoiceId": upgrade["id"], "reason": "Half", "amount": "1.25"}
    first = (await api.data(CREDIT, {"input": half}, token=operator, now=MAY_12))["issueCreditNote"]["invoice"]
    rest = (await api.data(CREDIT, {"input": half}, token=operator, now=MAY_12))["issueCreditNote"]["invoice"]
    assert (first["vatTotal"]["amount"], rest["vatTotal"]["amount"]) == ("-0.26", "-0.27")
    assert rest["grossTotal"]["amount"] == "-1.52" and rest["vatBreakdown"][0]["vat"]["amount"] == "-0.27"
