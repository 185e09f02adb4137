"""The ledger (Q4): charge lines, only ever appended (the database refuses updates and
deletes). A period opens with a "period" line of its full price; increases add
"proration" lines whose exact values feed the S4 running total of that period. Every
charge is invoiced in its own transaction (B2): a period here, an applied quote's lines
in domain/billing/changes.py."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Sequence

from domain.billing.catalog import Catalog
from domain.billing.models import BillingPeriod, LedgerLine, Subscription
from domain.billing.pricing import ZERO, DiscountSet, period_price, round_money
from domain.billing.state import terms_of
from domain.billing.invoices.issue import invoice_charge

PERIOD = "period"
PRORATION = "proration"


def describe_terms(catalog: Catalog, subscription: Subscription) -> str:
    plan = catalog.plan(subscription.plan_code)
    cap = catalog.tier(subscription.tier).cap
    seats = "1 seat" if subscription.seats == 1 else f"{subscription.seats} seats"
    clients = "unlimited active clients" if cap is None else f"up to {cap} active clients"
    term = subscription.term.replace("_", "-").lower()
    return f"{plan.name}, {seats}, {clients}, {term}"


async def open_period(catalog: Catalog, subscription: Subscription, discounts: DiscountSet, *,
                      now: datetime, note: str | None = None) -> LedgerLine:
    """Record the subscription's current period and charge its full price. The unique
    (account, period start) of BillingPeriod makes a second opening fail."""
    priced = period_price(catalog, terms_of(subscription), discounts)
    amount = round_money(priced.amount)
    await BillingPeriod.create(
        account_id=subscription.account_id, period_start=subscription.period_start,
        renews_on=subscription.renews_on, plan_code=subscription.plan_code, term=subscription.term,
        seats=subscription.seats, tier=subscription.tier, price=amount, note=note, created_at=now,
    )
    start, end = subscription.period_start, subscription.renews_on
    line = await LedgerLine.create(
        account_id=subscription.account_id, kind=PERIOD,
        description=f"{describe_terms(catalog, subscription)}: {start.isoformat()} to {end.isoformat()}",
        quantity=1, amount=amount, currency=catalog.currency, period_start=start, period_end=end,
        quote_id=None, exact=None, explanation=priced.explanation + ", half up", created_at=now,
    )
    await invoice_charge(catalog, subscription.account_id, [line], now=now)  # B2: one charge, one invoice
    return line


async def prorations_of_period(subscription: Subscription) -> tuple[list[Fraction], Decimal]:
    """This period's exact prorations so far and what was charged for them (S4)."""
    rows = await LedgerLine.filter(
        account_id=subscription.account_id, kind=PRORATION, period_end=subscription.renews_on,
        period_start__gte=subscription.period_start,
    ).order_by("id")
    return [Fraction(row.exact or "0") for row in rows], sum((row.amount for row in rows), ZERO)


async def add_proration(subscription: Subscription, *, description: str, quantity: int, amount: Decimal,
                        currency: str, today: date, quote_id: int, exact: str, explanation: str,
                        now: datetime) -> LedgerLine:
    return await LedgerLine.create(
        account_id=subscription.account_id, kind=PRORATION, description=description, quantity=quantity,
        amount=amount, currency=currency, period_start=today, period_end=subscription.renews_on,
        quote_id=quote_id, exact=exact, explanation=explanation, created_at=now,
    )


async def lines_by_id(ids: Sequence[int]) -> list[LedgerLine]:
    rows = {row.id: row for row in await LedgerLine.filter(id__in=list(ids))}
    return [rows[i] for i in ids if i in rows]
