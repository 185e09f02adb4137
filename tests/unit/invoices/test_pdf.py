"""The invoice PDF renderer on its own (B6, L1): long invoices break across pages with
every line kept, and each language writes dates and amounts its own way."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.billing.invoices.pdf import InvoiceDocument, render_invoice
from domain.billing.invoices.seller import current_seller
from tests.support.invoices import pdf_text

BUYER = {"legal_name": "Praktijk Zoë Brontë", "address_lines": ["Łukasz Østerstraat 1"], "postal_code": "1011 AB",
         "city": "Amsterdam", "country": "NL", "email": "boekhouding@example.org", "vat_number": None}


def _document(lines: int, **changes) -> InvoiceDocument:
    rows = [{"description": f"Seats: {n} → {n + 1}, a long description that wraps onto a second line of the table",
             "period_start": date(2026, 5, 10), "period_end": date(2026, 5, 15), "quantity": 1,
             "net": Decimal("1234.50"), "vat_rate": Decimal("21")} for n in range(lines)]
    net = Decimal("1234.50") * lines
    vat = (net * Decimal("0.21")).quantize(Decimal("0.01"))
    fields = dict(number="CB-2026-000042", credit_note=False, issued_on=date(2026, 5, 10), currency="EUR",
                  seller=current_seller().party(), buyer=BUYER, service_start=date(2026, 5, 10),
                  service_end=date(2026, 5, 15), lines=rows, breakdown=[{"rate": "21", "net": str(net), "vat": str(vat)}],
                  net_total=net, vat_total=vat, gross_total=net + vat, vat_scheme="domestic", reverse_charge=False)
    fields.update(changes)
    return InvoiceDocument(**fields)


def test_b6_a_long_invoice_keeps_every_line_over_several_pages():
    text = pdf_text(render_invoice(_document(60), "NL"))
    assert all(f"Seats: {n} → {n + 1}" in text for n in range(60))
    assert "Pagina 1 van " in text and "Pagina 2 van " in text
    # 60 × 1,234.50 = 74,070.00, and 21 % of it 15,554.70: the totals together on the last page.
    assert "Totaal exclusief btw € 74.070,00 Totaal btw € 15.554,70 Totaal inclusief btw € 89.624,70" in text
    assert "Zoë Brontë" in text and "Łukasz Østerstraat 1" in text


@pytest.mark.parametrize("locale, expected", [
    ("EN", ["Invoice CB-2026-000042", "Invoice date 10 May 2026", "€1,234.50", "Netherlands"]),
    ("NL", ["Factuur CB-2026-000042", "Factuurdatum 10 mei 2026", "€ 1.234,50", "Nederland"]),
    ("DE", ["Rechnung CB-2026-000042", "Rechnungsdatum 10. Mai 2026", "1.234,50 €", "Niederlande"]),
])
def test_l1_each_language_writes_dates_and_amounts_its_own_way(locale, expected):
    text = pdf_text(render_invoice(_document(1), locale))
    assert [word for word in expected if word not in text] == [], text


def test_b5_a_credit_note_names_the_invoice_it_corrects():
    document = _document(1, credit_note=True, corrects=("CB-2026-000041", date(2026, 5, 1)), reason="Double charge")
    text = pdf_text(render_invoice(document, "DE"))
    for expected in ("Rechnungskorrektur CB-2026-000042", "Korrektur der Rechnung CB-2026-000041 vom 1. Mai 2026",
                     "Grund Double charge"):
        assert expected in text, text
