"""An account's invoices in its archive (B6, L2): `invoices.json` with every invoice and
credit note as issued — everything its PDF shows — so a practice that leaves takes its
bookkeeping along. The PDFs stay downloadable at each invoice's `pdfUrl`; rendering them
all into the archive would load the PDF fonts into a build that is kept to bounded
memory."""
from __future__ import annotations

import zipfile
from typing import Any

from domain.core.ids import global_id
from domain.exports import documents
from domain.billing.invoices.models import Invoice, InvoicePayment
from domain.billing.invoices.queries import all_invoices, lines_by_invoice

INVOICES_FORMAT = "casebook.invoices"


def _money(value: Any) -> str:
    return f"{value:.2f}"


def invoice_document(invoice: Invoice, lines: list, paid: InvoicePayment | None) -> dict[str, Any]:
    return {
        "id": global_id("Invoice", invoice.id), "number": invoice.number, "kind": invoice.kind,
        "issuedOn": documents.day(invoice.issued_on), "currency": invoice.currency,
        "seller": invoice.seller, "buyer": invoice.buyer,
        "servicePeriod": {"start": documents.day(invoice.service_start), "end": documents.day(invoice.service_end)},
        "lines": [{"description": line.description, "periodStart": documents.day(line.period_start),
                   "periodEnd": documents.day(line.period_end), "quantity": line.quantity,
                   "net": _money(line.net), "vatRate": documents.decimal_text(line.vat_rate),
                   "ledgerLineId": global_id("LedgerLine", line.ledger_line_id) if line.ledger_line_id else None}
                  for line in lines],
        "vatBreakdown": invoice.vat_breakdown, "netTotal": _money(invoice.net_total),
        "vatTotal": _money(invoice.vat_total), "grossTotal": _money(invoice.gross_total),
        "vatScheme": invoice.vat_scheme, "reverseCharge": invoice.reverse_charge,
        "correctsId": global_id("Invoice", invoice.corrects_id) if invoice.corrects_id else None,
        "reason": invoice.reason, "paidOn": documents.day(paid.paid_on) if paid else None,
    }


async def write_invoices(build: Any, archive: zipfile.ZipFile) -> None:
    """The archive part `invoices.json` (domain.exports.archive): an account has a few
    invoices a month, so they are read whole."""
    invoices = await all_invoices(build.export.account_id)
    ids = [invoice.id for invoice in invoices]
    lines = await lines_by_invoice(ids)
    paid = {row.invoice_id: row for row in await InvoicePayment.filter(invoice_id__in=ids)}
    body = documents.header(INVOICES_FORMAT, build.generated_at, build.practice, **build.about())
    body += '  "invoices": [' + ",".join(
        "\n    " + documents.dumps(invoice_document(invoice, rows, paid.get(invoice.id)))
        for invoice, rows in zip(invoices, lines)) + ("\n  ]\n}\n" if invoices else "]\n}\n")
    archive.writestr("invoices.json", body)
