"""Reading invoices (B6): who may, pages of an account's invoices, and batch reads for
the API's relations (keys in, rows out in key order)."""
from __future__ import annotations

from typing import Any, Sequence

from auth import policy

from domain.core.batching import by_key, grouped
from domain.core.paging import Slice, filter_by_id, in_order
from domain.billing.invoices.models import BillingProfile, Invoice, InvoiceLine, InvoicePayment


def may_read_invoices(who: Any, account_id: int) -> bool:
    """Owners and admins of the account, and operators; never a partner system's
    credential (it acts for dossiers only) nor a member. `who`: a Principal (its verified
    scopes and two-factor state count) or an Actor."""
    return who is not None and policy.may(who, "invoice", "read", policy.Facts(account_id))


async def readable_invoice(who: Any, invoice_id: int) -> Invoice | None:
    """The invoice if `who` may read it; None alike for missing and not allowed (D4)."""
    invoice = await Invoice.get_or_none(id=invoice_id)
    return invoice if invoice is not None and may_read_invoices(who, invoice.account_id) else None


async def invoices_page(account_id: int, wanted: Slice) -> tuple[list[Invoice], bool]:
    """Oldest first, keyset by id; whether more lie beyond the page in its direction."""
    return in_order(await filter_by_id(Invoice.filter(account_id=account_id), wanted, newest_first=False), wanted)


async def invoice_count(account_id: int) -> int:
    return await Invoice.filter(account_id=account_id).count()


async def all_invoices(account_id: int) -> list[Invoice]:
    return await Invoice.filter(account_id=account_id).order_by("id")


async def invoices_by_id(ids: Sequence[int]) -> list[Invoice | None]:
    return by_key(await Invoice.filter(id__in=list(ids)), ids)


async def lines_by_invoice(invoice_ids: Sequence[int]) -> list[list[InvoiceLine]]:
    rows = await InvoiceLine.filter(invoice_id__in=list(invoice_ids)).order_by("invoice_id", "position")
    return grouped(rows, invoice_ids, lambda row: row.invoice_id)


async def payments_by_invoice(invoice_ids: Sequence[int]) -> list[InvoicePayment | None]:
    rows = await InvoicePayment.filter(invoice_id__in=list(invoice_ids))
    found = {row.invoice_id: row for row in rows}
    return [found.get(invoice_id) for invoice_id in invoice_ids]


async def profiles_by_account(account_ids: Sequence[int]) -> list[BillingProfile | None]:
    rows = await BillingProfile.filter(account_id__in=list(account_ids))
    found = {row.account_id: row for row in rows}
    return [found.get(account_id) for account_id in account_ids]
