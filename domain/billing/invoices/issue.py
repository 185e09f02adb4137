"""An invoice for every charge (B2), in the charge's transaction: the first period, each
renewal (whoever runs it), each applied increase. Its lines are the charge's ledger
lines; it is addressed to the billing profile as it is now (B1) and taxed by the buyer's
place (B4). The billing code calls `invoice_charge` right after writing the ledger."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Sequence

from domain import events
from domain.accounts.models import Account
from domain.billing.catalog import Catalog
from domain.billing.models import LedgerLine
from domain.billing.invoices.models import Invoice, InvoiceLine
from domain.billing.invoices.numbers import format_number, issue_date, take_number
from domain.billing.invoices.profiles import party, profile_of
from domain.billing.invoices.seller import current_seller
from domain.billing.invoices.vat import Totals, Treatment, VatAmount, totals, treatment

INVOICE = "INVOICE"
CREDIT_NOTE = "CREDIT_NOTE"


def breakdown_json(computed: Totals) -> list[dict]:
    return [{"rate": str(amount.rate), "net": str(amount.net), "vat": str(amount.vat)}
            for amount in computed.breakdown]


async def record_invoice(*, account_id: int, kind: str, seller: dict, buyer: dict, treated: Treatment,
                         currency: str, lines: Sequence[dict], now: datetime, time_zone: str,
                         corrects_id: int | None = None, reason: str | None = None,
                         created_by_user_id: int | None = None, vat: Decimal | None = None) -> Invoice:
    """Number and store one invoice or credit note with its lines, and announce it.
    `lines`: description, period_start, period_end, quantity, net, ledger_line_id. `vat`:
    the VAT of a credit note that closes an invoice, what is left of the invoice's (B5)."""
    computed = totals((line["net"], treated.rate) for line in lines)
    if vat is not None:
        [amount] = computed.breakdown  # one treatment, one rate
        computed = Totals((VatAmount(amount.rate, amount.net, vat),), computed.net, vat, computed.net + vat)
    starts = [line["period_start"] for line in lines if line["period_start"]]
    ends = [line["period_end"] for line in lines if line["period_end"]]
    issued_on = issue_date(now, time_zone)
    # Written in the account's language of the day, and kept in it (B5, L1).
    locale = (await Account.filter(id=account_id).values_list("locale", flat=True)) or [None]
    sequence = await take_number(issued_on.year)  # late: the counter stays locked until commit
    invoice = await Invoice.create(
        account_id=account_id, number=format_number(issued_on.year, sequence), year=issued_on.year,
        sequence=sequence, kind=kind, issued_on=issued_on, currency=currency, seller=seller, buyer=buyer,
        vat_scheme=treated.scheme, reverse_charge=treated.reverse_charge, vat_breakdown=breakdown_json(computed),
        net_total=computed.net, vat_total=computed.vat, gross_total=computed.gross,
        service_start=min(starts, default=issued_on), service_end=max(ends, default=issued_on),
        corrects_id=corrects_id, reason=reason, created_by_user_id=created_by_user_id, created_at=now,
        locale=locale[0])
    await InvoiceLine.bulk_create([
        InvoiceLine(invoice_id=invoice.id, account_id=account_id, position=position,
                    ledger_line_id=line.get("ledger_line_id"), description=line["description"][:300],
                    period_start=line["period_start"], period_end=line["period_end"], quantity=line["quantity"],
                    net=line["net"], vat_rate=treated.rate)
        for position, line in enumerate(lines, start=1)])
    await events.announce(events.INVOICE_ISSUED, account_id=account_id, now=now, invoiceId=("Invoice", invoice.id))
    return invoice


async def invoice_charge(catalog: Catalog, account_id: int, ledger_lines: Sequence[LedgerLine], *,
                         now: datetime) -> Invoice:
    """The invoice of one charge; call in the transaction that wrote `ledger_lines`."""
    seller = current_seller()
    buyer = await profile_of(account_id, now=now)
    treated = treatment(seller_country=seller.country, buyer_country=buyer.country,
                        buyer_vat_number=buyer.vat_number, rates=catalog.vat_rates)
    lines = [{"description": line.description, "period_start": line.period_start, "period_end": line.period_end,
              "quantity": line.quantity, "net": Decimal(line.amount), "ledger_line_id": line.id}
             for line in ledger_lines]
    return await record_invoice(account_id=account_id, kind=INVOICE, seller=seller.party(), buyer=party(buyer),
                                treated=treated, currency=ledger_lines[0].currency, lines=lines, now=now,
                                time_zone=seller.time_zone)


def treatment_of(invoice: Invoice) -> Treatment:
    rates = [Decimal(amount["rate"]) for amount in invoice.vat_breakdown] or [Decimal(0)]
    return Treatment(invoice.vat_scheme, rates[0])
