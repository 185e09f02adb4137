"""What operators do to issued invoices (B5): correct them with a credit note, record
that they were paid. Neither changes an invoice row: a credit note is a new invoice of
kind CREDIT_NOTE, numbered in the same sequence, referring to the invoice it corrects,
with negative amounts; a payment is a row of its own."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from tortoise.exceptions import IntegrityError

from domain.accounts.models import Account
from domain.audit.service import AuditAction, record
from domain.core import account_clock
from domain.core.actor import Actor, ActorKind
from infra.db import transaction
from domain.core.errors import DomainError, ErrorCode, Forbidden, InvalidInput, NotFound
from domain.core.validation import clean_text
from domain.billing.invoices.issue import CREDIT_NOTE, INVOICE, record_invoice, treatment_of
from domain.billing.invoices.models import Invoice, InvoiceLine, InvoicePayment
from domain.billing.invoices.numbers import issue_date
from domain.billing.invoices.seller import current_seller
from domain.billing.invoices.vat import CENT, ZERO

MAX_REASON = 500
MAX_AMOUNT = Decimal("1000000000.00")  # far above any invoice; keeps quantize within precision


class AlreadyPaid(DomainError):
    code = ErrorCode.ALREADY_EXISTS


def _operator(actor: Actor) -> None:
    if actor.kind is not ActorKind.OPERATOR:
        raise Forbidden("operators only")


def _amount(raw: Decimal | str | None) -> Decimal | None:
    if raw is None:
        return None
    try:
        amount = Decimal(str(raw))
    except InvalidOperation:
        raise InvalidInput("The amount must be a decimal such as \"2.50\".", field=("amount",)) from None
    if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT or amount != amount.quantize(CENT):
        raise InvalidInput("The amount must be whole cents above 0 (the net amount to credit).", field=("amount",))
    return amount


async def _accounts_now(account_id: int, now: datetime, at_account_clock: bool) -> datetime:
    """O4: an operator who gave no business time acts on the account at its test clock,
    when it has one (never in production), so a correction is never dated before what
    it corrects nor numbered in another year."""
    return await account_clock.business_now(account_id, wall=now) if at_account_clock else now


async def _credited(invoice_id: int) -> tuple[Decimal, Decimal]:
    """The net and the VAT already credited on an invoice, as positive amounts."""
    notes = await Invoice.filter(corrects_id=invoice_id).values_list("net_total", "vat_total")
    return (-sum((Decimal(net) for net, _ in notes), ZERO), -sum((Decimal(vat) for _, vat in notes), ZERO))


async def issue_credit_note(actor: Actor, invoice_id: int, reason: str, amount: Decimal | str | None, *,
                            now: datetime, at_account_clock: bool = False) -> Invoice:
    """Credit `amount` (net) of an invoice, or all that is not credited yet. Taxed as the
    invoice was, addressed to its buyer as on the invoice."""
    _operator(actor)
    why = clean_text(reason, field="reason", max_length=MAX_REASON)
    wanted = _amount(amount)
    seller = current_seller()
    async with transaction():
        original = await Invoice.get_or_none(id=invoice_id)
        if original is None or original.kind != INVOICE:
            raise NotFound("invoice", field=("invoiceId",))
        # Locking the account's row serialises its credit notes, so two at once cannot both
        # credit the same remainder. Not the invoice's row: the application's database role
        # may only read and add invoices (append-only), and a row lock needs UPDATE.
        await Account.filter(id=original.account_id).select_for_update().first()
        now = await _accounts_now(original.account_id, now, at_account_clock)
        lines = await InvoiceLine.filter(invoice_id=original.id).order_by("position")
        credited_net, credited_vat = await _credited(original.id)
        remaining = Decimal(original.net_total) - credited_net
        if remaining <= 0:
            raise InvalidInput(f"Invoice {original.number} is credited in full already.", field=("invoiceId",))
        if wanted is not None and wanted > remaining:
            raise InvalidInput(f"At most {remaining} ({original.currency}, net) of invoice {original.number} is "
                               "left to credit.", field=("amount",))
        if wanted is None and remaining == Decimal(original.net_total):
            credit_lines = [{"description": line.description, "period_start": line.period_start,
                             "period_end": line.period_end, "quantity": line.quantity, "net": -Decimal(line.net),
                             "ledger_line_id": line.ledger_line_id} for line in lines]
        else:
            credit_lines = [{"description": f"Correction of invoice {original.number}: {why}",
                             "period_start": original.service_start, "period_end": original.service_end,
                             "quantity": 1, "net": -(wanted or remaining), "ledger_line_id": None}]
        # The credit note that credits what is left takes what is left of the VAT, so partial
        # notes, each rounded on its own, add up to the invoice's VAT to the cent (B4, B5).
        closing = (wanted is None or wanted == remaining) and credited_net > 0
        note = await record_invoice(
            account_id=original.account_id, kind=CREDIT_NOTE, seller=seller.party(), buyer=original.buyer,
            treated=treatment_of(original), currency=original.currency, lines=credit_lines, now=now,
            time_zone=seller.time_zone, corrects_id=original.id, reason=why, created_by_user_id=actor.user_id,
            vat=-(Decimal(original.vat_total) - credited_vat) if closing else None)
        await record(AuditAction.OPERATOR_ACTION, now=now, account_id=original.account_id,
                     actor_user_id=actor.user_id, subject=f"invoice:{original.id}",
                     detail={"action": "issue_credit_note", "credit_note": note.number, "net": str(note.net_total),
                             "reason": why})
        return note


async def mark_invoice_paid(actor: Actor, invoice_id: int, paid_on: date, *, now: datetime,
                            at_account_clock: bool = False) -> Invoice:
    """Record the day an invoice (or a credit note's refund) was paid; once."""
    _operator(actor)
    seller = current_seller()
    try:
        async with transaction():
            invoice = await Invoice.get_or_none(id=invoice_id)
            if invoice is None:
                raise NotFound("invoice", field=("invoiceId",))
            now = await _accounts_now(invoice.account_id, now, at_account_clock)
            if paid_on < invoice.issued_on or paid_on > issue_date(now, seller.time_zone):
                raise InvalidInput("The payment day must lie between the issue date and today.", field=("paidOn",))
            existing = await InvoicePayment.get_or_none(invoice_id=invoice.id)
            if existing is not None:
                raise AlreadyPaid(f"Invoice {invoice.number} was marked paid on {existing.paid_on.isoformat()} "
                                  "already.", field=("invoiceId",))
            await InvoicePayment.create(invoice_id=invoice.id, account_id=invoice.account_id, paid_on=paid_on,
                                        recorded_by_user_id=actor.user_id, created_at=now)
            await record(AuditAction.OPERATOR_ACTION, now=now, account_id=invoice.account_id,
                         actor_user_id=actor.user_id, subject=f"invoice:{invoice.id}",
                         detail={"action": "mark_invoice_paid", "number": invoice.number,
                                 "paid_on": paid_on.isoformat()})
            return invoice
    except IntegrityError:
        # Two operators at once: the unique invoice id let one through.
        raise AlreadyPaid("This invoice was marked paid already.", field=("invoiceId",)) from None
