"""From a stored invoice to its PDF (B6): the document as issued, in the account's
language of the day it was issued (B5, L1)."""
from __future__ import annotations

import asyncio
from decimal import Decimal

from domain.accounts.models import Account
from domain.billing.invoices.issue import CREDIT_NOTE
from domain.billing.invoices.models import Invoice, InvoiceLine
from domain.billing.invoices.pdf import InvoiceDocument, render_invoice


async def document_of(invoice: Invoice) -> InvoiceDocument:
    lines = await InvoiceLine.filter(invoice_id=invoice.id).order_by("position")
    corrected = await Invoice.get_or_none(id=invoice.corrects_id) if invoice.corrects_id else None
    return InvoiceDocument(
        number=invoice.number, credit_note=invoice.kind == CREDIT_NOTE, issued_on=invoice.issued_on,
        currency=invoice.currency, seller=invoice.seller, buyer=invoice.buyer, service_start=invoice.service_start,
        service_end=invoice.service_end,
        lines=[{"description": line.description, "period_start": line.period_start, "period_end": line.period_end,
                "quantity": line.quantity, "net": Decimal(line.net), "vat_rate": Decimal(line.vat_rate)}
               for line in lines],
        breakdown=list(invoice.vat_breakdown), net_total=Decimal(invoice.net_total),
        vat_total=Decimal(invoice.vat_total), gross_total=Decimal(invoice.gross_total),
        vat_scheme=invoice.vat_scheme, reverse_charge=invoice.reverse_charge,
        corrects=(corrected.number, corrected.issued_on) if corrected else None, reason=invoice.reason)


async def account_locale(account_id: int) -> str | None:
    """The account's language where the account has one (L1); None lets the buyer's
    country decide."""
    account = await Account.get_or_none(id=account_id)
    return getattr(account, "locale", None) if account else None


async def invoice_pdf(invoice: Invoice) -> bytes:
    document = await document_of(invoice)
    locale = invoice.locale or await account_locale(invoice.account_id)  # the language it was issued in
    return await asyncio.to_thread(render_invoice, document, locale)
