"""Invoices a Dutch or German practice can book (SPEC B1–B6), through the API: the seed's
S4 upgrade (10 May, €2.50 net) invoiced to four kinds of buyer, with the right VAT, and
the PDF of each holding every field B6 names."""
from __future__ import annotations

import pytest

from tests.support.invoices import BUYERS, given_buyer, invoices, pdf_response, pdf_text, upgrade_on_may_10

# case → (VAT rate, VAT, gross, reverse charge, language words on the PDF)
EXPECTED = {
    "nl_practice": ("21", "0.53", "3.03", False, [
        "Factuur", "Factuurdatum 10 mei 2026", "10 mei 2026 – 14 mei 2026", "Btw 21 % over € 2,50 € 0,53",
        "Totaal exclusief btw € 2,50", "Totaal btw € 0,53", "Totaal inclusief btw € 3,03", "Btw-nummer", "Nederland"]),
    "de_practice": ("19", "0.48", "2.98", False, [
        "Rechnung", "Rechnungsdatum 10. Mai 2026", "10. Mai 2026 – 14. Mai 2026", "USt 19 % auf 2,50 € 0,48 €",
        "Nettobetrag 2,50 €", "Umsatzsteuer 0,48 €", "Gesamtbetrag 2,98 €", "Deutschland"]),
    "de_business": ("0", "0.00", "2.50", True, [
        "Rechnung", "Rechnungsdatum 10. Mai 2026", "10. Mai 2026 – 14. Mai 2026", "USt 0 % auf 2,50 € 0,00 €",
        "Gesamtbetrag 2,50 €", "USt-IdNr.", "Steuerschuldnerschaft des Leistungsempfängers"]),
    "ch_practice": ("0", "0.00", "2.50", False, [
        "Rechnung", "Rechnungsdatum 10. Mai 2026", "10. Mai 2026 – 14. Mai 2026", "USt 0 % auf 2,50 € 0,00 €",
        "Gesamtbetrag 2,50 €", "Leistungsort außerhalb der EU", "Schweiz"]),
}


@pytest.mark.parametrize("case", sorted(EXPECTED))
async def test_b4_b6_the_s4_upgrade_is_invoiced_with_the_buyers_vat(api, settings, case):
    owner = await given_buyer(api, case)
    token = owner["accessToken"]
    await upgrade_on_may_10(api, token)

    first_period, upgrade = await invoices(api, token)
    rate, vat, gross, reverse_charge, words = EXPECTED[case]
    # B2: one invoice per charge, its lines the charge's ledger lines; B3: numbered in order.
    assert (first_period["number"], upgrade["number"]) == ("CB-2026-000001", "CB-2026-000002")
    assert first_period["netTotal"]["amount"] == "30.00"
    assert upgrade["kind"] == "INVOICE" and upgrade["issuedOn"] == "2026-05-10" and upgrade["status"] == "OPEN"
    [line] = upgrade["lines"]
    assert (line["net"]["amount"], line["vatRate"], line["periodStart"], line["periodEnd"]) == (
        "2.50", rate, "2026-05-10", "2026-05-15")
    assert upgrade["vatBreakdown"] == [{"rate": rate, "net": {"amount": "2.50"}, "vat": {"amount": vat}}]
    assert (upgrade["netTotal"]["amount"], upgrade["vatTotal"]["amount"], upgrade["grossTotal"]["amount"]) == (
        "2.50", vat, gross)
    assert upgrade["reverseCharge"] is reverse_charge
    profile = BUYERS[case]["profile"]
    assert upgrade["buyer"]["legalName"] == profile["legalName"]
    assert upgrade["buyer"]["vatNumber"] == profile.get("vatNumber")
    assert upgrade["seller"]["vatNumber"] == settings.invoice_seller_vat_number and upgrade["seller"]["country"] == "NL"

    response = await pdf_response(api, upgrade["pdfUrl"], token)
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "no-store"
    text = pdf_text(response.content)
    seller = upgrade["seller"]
    b6_fields = [upgrade["number"], seller["legalName"], *seller["addressLines"], seller["postalCode"], seller["city"],
                 seller["vatNumber"], profile["legalName"], *profile["addressLines"], profile["postalCode"],
                 profile["city"], line["description"], *([profile["vatNumber"]] if "vatNumber" in profile else [])]
    missing = [field for field in b6_fields + words if field not in text]
    assert missing == [], text
    assert ("Reverse Charge" in text) is reverse_charge  # the statement only where it applies


async def test_b1_an_invoice_keeps_the_profile_it_was_issued_to(api):
    owner = await given_buyer(api, "de_practice")
    token = owner["accessToken"]
    from tests.support.invoices import UPDATE_PROFILE

    await api.data(UPDATE_PROFILE, {"input": {"legalName": "Praxis Neuer Name"}}, token=token)
    [first] = await invoices(api, token)
    assert first["buyer"]["legalName"] == "Practice " + first["buyer"]["email"].split("@")[0]  # as at sign-up
    assert first["buyer"]["missing"] == ["addressLines", "postalCode", "city"]


async def test_b5_l1_an_issued_invoice_keeps_the_language_it_was_written_in(api):
    # An issued invoice never changes (B5): a later change of the account's language
    # applies to invoices issued from then on, not to the PDF of one issued before.
    owner = await given_buyer(api, "nl_practice")
    token = owner["accessToken"]
    language = """mutation($input: UpdateAccountInput!) { updateAccount(input: $input) { userErrors { code } } }"""
    assert (await api.data(language, {"input": {"locale": "NL"}}, token=token))["updateAccount"]["userErrors"] == []
    await upgrade_on_may_10(api, token)
    _, upgrade = await invoices(api, token)
    assert "Factuur" in pdf_text((await pdf_response(api, upgrade["pdfUrl"], token)).content)
    assert (await api.data(language, {"input": {"locale": "DE"}}, token=token))["updateAccount"]["userErrors"] == []
    text = pdf_text((await pdf_response(api, upgrade["pdfUrl"], token)).content)
    assert "Factuur" in text and "Rechnung" not in text
