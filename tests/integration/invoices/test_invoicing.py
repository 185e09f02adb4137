"""Invoices in the charge's transaction (B2), gapless numbers (B3) and append-only
invoice tables (B5), on the services and the database (SQLite and PostgreSQL)."""
from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal

import pytest

from domain.billing.models import LedgerLine
from domain.billing.renewal import renew_account, renew_due
from domain.billing.terms import current_terms
from infra.db import transaction
from domain.billing.invoices.issue import invoice_charge
from domain.billing.invoices.models import Invoice, InvoiceLine, InvoicePayment
from tests.support.billing import CATALOG, at, given_account


async def _numbers(account_id: int | None = None) -> list[str]:
    query = Invoice.all() if account_id is None else Invoice.filter(account_id=account_id)
    return [row.number for row in await query.order_by("year", "sequence")]


async def test_b2_each_renewal_is_invoiced_once_however_many_runners(db):
    account_id, _ = await given_account("2026-04-15T10:00:00+02:00")
    may_15 = at("2026-05-15T08:00:00+02:00")
    # The worker's `renew`, another host's, and a request catching the account up (O2), at once.
    results = await asyncio.gather(renew_due(CATALOG, now=may_15), renew_due(CATALOG, now=may_15),
                                   current_terms(account_id, now=may_15, catalog=CATALOG), return_exceptions=True)
    assert not [r for r in results if isinstance(r, Exception) and "append-only" in str(r)]
    await renew_due(CATALOG, now=may_15)
    invoices = await Invoice.filter(account_id=account_id).order_by("id")
    assert [(row.number, row.service_start, row.service_end, row.net_total) for row in invoices] == [
        ("CB-2026-000001", date(2026, 4, 15), date(2026, 5, 15), Decimal("30.00")),
        ("CB-2026-000002", date(2026, 5, 15), date(2026, 6, 15), Decimal("30.00")),
    ]
    # Its one line is the renewal's ledger line.
    period_line = await LedgerLine.filter(account_id=account_id, period_start=date(2026, 5, 15)).get()
    [line] = await InvoiceLine.filter(invoice_id=invoices[1].id)
    assert (line.ledger_line_id, line.net, line.vat_rate) == (period_line.id, Decimal("30.00"), Decimal("21.00"))
    assert (invoices[1].vat_total, invoices[1].gross_total) == (Decimal("6.30"), Decimal("36.30"))


async def test_b3_a_rolled_back_charge_leaves_no_gap(db):
    account_id, _ = await given_account("2026-04-15T10:00:00+02:00")
    line = await LedgerLine.filter(account_id=account_id).first()

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with transaction():
            taken = await invoice_charge(CATALOG, account_id, [line], now=at("2026-04-16T10:00:00+02:00"))
            assert taken.number == "CB-2026-000002"
            raise Boom()
    assert await _numbers() == ["CB-2026-000001"]
    await renew_account(account_id, CATALOG, now=at("2026-05-15T08:00:00+02:00"))
    assert await _numbers() == ["CB-2026-000001", "CB-2026-000002"]  # the number given back is used next


async def test_b3_numbers_start_again_each_calendar_year_of_the_issuer(db):
    # 31 Dec 23:30 in New York is already 1 January in Amsterdam, the issuer's calendar.
    await given_account("2026-12-31T10:00:00+01:00")
    late, _ = await given_account("2026-12-31T23:30:00-05:00", time_zone="America/New_York")
    assert await _numbers() == ["CB-2026-000001", "CB-2027-000001"]
    invoice = await Invoice.get(account_id=late)
    assert (invoice.issued_on, invoice.service_start) == (date(2027, 1, 1), date(2026, 12, 31))


@pytest.mark.parametrize("model", [Invoice, InvoiceLine, InvoicePayment])
async def test_b5_the_application_cannot_update_or_delete_invoices(db, model):
    account_id, _ = await given_account("2026-04-15T10:00:00+02:00")
    invoice = await Invoice.get(account_id=account_id)
    await InvoicePayment.create(invoice_id=invoice.id, account_id=account_id, paid_on=date(2026, 4, 20),
                                created_at=at("2026-04-20T10:00:00+02:00"))
    changes = {Invoice: {"net_total": Decimal("0.01")}, InvoiceLine: {"net": Decimal("0.01")},
               InvoicePayment: {"paid_on": date(2026, 4, 21)}}[model]
    with pytest.raises(Exception, match="append-only|permission denied"):
        await model.all().update(**changes)
    with pytest.raises(Exception, match="append-only|permission denied"):
        await model.all().delete()
    assert await model.all().count() == 1


async def test_b2_a_renewal_an_operators_action_catches_up_is_invoiced_in_its_transaction(db):
    from domain.billing.operators import set_account_discount
    from domain.core.actor import Actor, ActorKind

    account_id, _ = await given_account("2026-04-15T10:00:00+02:00")
    operator = Actor(999, "operator@casebook.example", ActorKind.OPERATOR)
    await set_account_discount(operator, account_id, "charity", None, now=at("2026-05-20T10:00:00+02:00"),
                               catalog=CATALOG)
    invoices = await Invoice.filter(account_id=account_id).order_by("id")
    # The period of 15 May was due before the discount: invoiced at its undiscounted price.
    assert [(row.service_start, row.net_total, row.issued_on) for row in invoices] == [
        (date(2026, 4, 15), Decimal("30.00"), date(2026, 4, 15)),
        (date(2026, 5, 15), Decimal("30.00"), date(2026, 5, 20))]
