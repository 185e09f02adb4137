"""Given-steps for invoices (SPEC B1–B6): billing profiles, the seed's S4 example, and
reading invoices and their PDFs back."""
from __future__ import annotations

import io

from tests.support.billing import apply, new_key, quote_ok
from tests.support.flows import sign_up

APRIL_15 = "2026-04-15T10:00:00+02:00"
MAY_10 = "2026-05-10T12:00:00+02:00"

INVOICE_FIELDS = """
  id number kind issuedOn reverseCharge status pdfUrl
  seller { legalName addressLines postalCode city country email vatNumber registration }
  buyer { legalName addressLines postalCode city country email vatNumber missing }
  lines { description periodStart periodEnd quantity net { amount currency } vatRate }
  vatBreakdown { rate net { amount } vat { amount } }
  netTotal { amount currency } vatTotal { amount } grossTotal { amount }
  corrects { id number }
"""

INVOICES = """{ account { invoices(first: 20) { edges { node { %s } } pageInfo { hasNextPage endCursor } } } }""" % (
    INVOICE_FIELDS)
PROFILE = """{ account { billingProfile { legalName addressLines postalCode city country email vatNumber missing } } }"""
UPDATE_PROFILE = """mutation($input: UpdateBillingProfileInput!) { updateBillingProfile(input: $input) {
  account { billingProfile { legalName addressLines postalCode city country email vatNumber missing } }
  userErrors { code message field } } }"""
CREDIT = """mutation($input: IssueCreditNoteInput!) { issueCreditNote(input: $input) {
  invoice { %s } userErrors { code message field } } }""" % INVOICE_FIELDS
MARK_PAID = """mutation($input: MarkInvoicePaidInput!) { markInvoicePaid(input: $input) {
  invoice { id status } userErrors { code message field } } }"""
OPERATOR_INVOICES = """query($id: ID!) { operatorAccount(id: $id) { billingProfile { country }
  invoices { edges { node { id number netTotal { amount } } } } } }"""

# The four buyers of "done when": a Dutch practice, a German one without a VAT number, a
# German business with one (reverse charge), a Swiss one.
BUYERS = {
    "nl_practice": {"timeZone": "Europe/Amsterdam", "country": "NL",
                    "profile": {"legalName": "Praktijk De Linde B.V.", "addressLines": ["Lindelaan 12"],
                                "postalCode": "3511 AB", "city": "Utrecht", "vatNumber": "NL123456794B01"}},
    "de_practice": {"timeZone": "Europe/Berlin", "country": "DE",
                    "profile": {"legalName": "Praxis Sonnenweg", "addressLines": ["Sonnenweg 3"],
                                "postalCode": "10115", "city": "Berlin"}},
    "de_business": {"timeZone": "Europe/Berlin", "country": "DE",
                    "profile": {"legalName": "Coaching Nord GmbH", "addressLines": ["Hafenstraße 7", "2. OG"],
                                "postalCode": "20457", "city": "Hamburg", "vatNumber": "DE123456788"}},
    "ch_practice": {"timeZone": "Europe/Zurich", "country": "CH",
                    "profile": {"legalName": "Praxis am See AG", "addressLines": ["Seestrasse 1"],
                                "postalCode": "8002", "city": "Zürich"}},
}


async def given_buyer(api, case: str, *, now: str = APRIL_15) -> dict:
    """An owner whose account signed up at `now` and completed its billing profile."""
    buyer = BUYERS[case]
    owner = await sign_up(api, now=now, timeZone=buyer["timeZone"], country=buyer["country"])
    token = owner["accessToken"]
    updated = (await api.data(UPDATE_PROFILE, {"input": buyer["profile"]}, token=token, now=now))["updateBillingProfile"]
    assert updated["userErrors"] == [], updated["userErrors"]
    return owner


async def upgrade_on_may_10(api, token: str) -> dict:
    """The seed's S4 example: UP_TO_10 → UP_TO_25 on 10 May, €2.50 net."""
    q = await quote_ok(api, token, MAY_10, activeClientTier="UP_TO_25")
    applied = await apply(api, token, q["id"], new_key(), MAY_10)
    assert applied["userErrors"] == [] and applied["charged"]["amount"] == "2.50", applied
    return applied


async def invoices(api, token: str, now: str | None = None) -> list[dict]:
    return [edge["node"] for edge in (await api.data(INVOICES, token=token, now=now))["account"]["invoices"]["edges"]]


async def pdf_response(api, path: str, token: str | None):
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return await api.http.get(path, headers=headers)


def pdf_text(body: bytes) -> str:
    from pypdf import PdfReader

    """The PDF's text with runs of white space as one space (lines wrap where they wrap)."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages).split())
