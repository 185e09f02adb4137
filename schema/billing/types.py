"""Subscription, catalog and ledger types (API.md). Prices come from the catalog on the
context; the account's local day decides which discounts are in force."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Optional

import strawberry

from auth.audiences import Audience

from domain.billing import queries
from domain.billing.catalog import Catalog as CatalogData
from domain.billing.catalog import Plan as PlanData
from domain.billing.ledger import describe_terms
from domain.billing.models import AccountDiscount as AccountDiscountRow
from domain.billing.models import LedgerLine as LedgerLineRow
from domain.billing.models import ScheduledChange as ScheduledChangeRow
from domain.billing.pricing import period_price, round_money
from domain.billing.state import discount_set, is_active_discount, terms_of
from domain.billing.terms import AsOf, Terms, terms_as_of
from schema.billing.enums import ActiveClientTier, Term
from schema.billing.money import Money
from schema.billing.quote_types import Quote, QuoteLine  # noqa: F401  (re-exported: lazy refs name this module)
from schema.context import Info
from schema.relay import to_global_id
from schema.rules import rules


@rules(audience=Audience.BILLING)
@strawberry.type
class Plan:
    code: str
    name: str
    seat_price: Money
    standard_seats: int

    @classmethod
    def from_data(cls, plan: PlanData, currency: str) -> "Plan":
        return cls(code=plan.code, name=plan.name, seat_price=Money.of(plan.seat_price, currency),
                   standard_seats=plan.standard_seats)


@rules(audience=Audience.BILLING)
@strawberry.type
class TermOffer:
    term: Term
    months: int
    discount_percent: Decimal


@rules(audience=Audience.BILLING)
@strawberry.type
class TierOffer:
    tier: ActiveClientTier
    limit: Optional[int]
    price_per_month: Money


@rules(audience=Audience.BILLING)
@strawberry.type
class Catalog:
    currency: str
    plans: list[Plan]
    terms: list[TermOffer]
    tiers: list[TierOffer]

    @classmethod
    def from_data(cls, data: CatalogData) -> "Catalog":
        return cls(
            currency=data.currency,
            plans=[Plan.from_data(plan, data.currency) for plan in data.plans],
            terms=[TermOffer(term=Term(t.name), months=t.months, discount_percent=t.discount_percent)
                   for t in data.terms],
            tiers=[TierOffer(tier=ActiveClientTier(t.name), limit=t.cap,
                             price_per_month=Money.of(t.price_per_month, data.currency)) for t in data.tiers],
        )


@rules(audience=Audience.BILLING)
@strawberry.type
class ScheduledChange:
    description: str
    effective_on: date

    @classmethod
    def from_model(cls, row: ScheduledChangeRow) -> "ScheduledChange":
        return cls(description=row.description, effective_on=row.effective_on)


@rules(audience=Audience.BILLING)
@strawberry.type(description="A special discount an operator granted (S7); endsOn is exclusive.")
class AccountDiscount:
    code: str
    name: str
    percent: Decimal
    ends_on: Optional[date]

    @classmethod
    def from_model(cls, row: AccountDiscountRow) -> "AccountDiscount":
        return cls(code=row.code, name=row.name, percent=row.percent, ends_on=row.ends_on)


@rules(audience=Audience.BILLING)
@strawberry.type
class Subscription:
    """The terms as of now (O2): billing renewed a subscription found due before
    answering, and read it with its account's day in one statement."""

    terms: strawberry.Private[Terms]
    account_id: strawberry.Private[int]

    async def _discount_rows(self, info: Info) -> list[AccountDiscountRow]:
        return await info.context.loader(queries.discounts_by_account).load(self.terms.account_id)

    @strawberry.field
    def plan(self, info: Info) -> Plan:
        catalog = info.context.catalog
        return Plan.from_data(catalog.plan(self.terms.plan_code), catalog.currency)

    @strawberry.field
    def term(self) -> Term:
        return Term(self.terms.term)

    @strawberry.field
    def seats(self) -> int:
        return self.terms.seats

    @strawberry.field
    async def seats_used(self, info: Info) -> int:
        return await info.context.loader(queries.seats_used_by_account).load(self.terms.account_id)

    @strawberry.field
    def active_client_tier(self) -> ActiveClientTier:
        return ActiveClientTier(self.terms.tier)

    @strawberry.field
    def period_start(self) -> date:
        return self.terms.period_start

    @strawberry.field
    def renews_on(self) -> date:
        return self.terms.renews_on

    @strawberry.field(description="The price of a whole period at today's terms and discounts (S2).")
    async def price_per_period(self, info: Info) -> Money:
        catalog = info.context.catalog
        discounts = discount_set(self.terms, await self._discount_rows(info), self.terms.today)
        return Money.of(round_money(period_price(catalog, terms_of(self.terms), discounts).amount), catalog.currency)

    @strawberry.field
    async def scheduled_changes(self, info: Info) -> list[ScheduledChange]:
        rows = await info.context.loader(queries.scheduled_by_account).load(self.terms.account_id)
        return [ScheduledChange.from_model(row) for row in rows]

    @strawberry.field
    def cancels_on(self) -> Optional[date]:
        return self.terms.cancels_on

    @strawberry.field(description="Special discounts in force today.")
    async def discounts(self, info: Info) -> list[AccountDiscount]:
        return [AccountDiscount.from_model(row) for row in await self._discount_rows(info)
                if is_active_discount(row, self.terms.today)]

    @strawberry.field(description="The operator-negotiated seat price (S8), if any.")
    def negotiated_seat_price(self, info: Info) -> Optional[Money]:
        price = self.terms.negotiated_seat_price
        return None if price is None else Money.of(price, info.context.catalog.currency)

    @strawberry.field
    def summary(self, info: Info) -> str:
        return describe_terms(info.context.catalog, self.terms)

    @classmethod
    def from_terms(cls, terms: Terms) -> "Subscription":
        return cls(terms=terms, account_id=terms.account_id)


@rules(audience=Audience.BILLING)
@strawberry.type
class LedgerLine:
    row: strawberry.Private[LedgerLineRow]
    account_id: strawberry.Private[int]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("LedgerLine", self.row.id))

    @strawberry.field
    def description(self) -> str:
        return self.row.description

    @strawberry.field
    def quantity(self) -> int:
        return self.row.quantity

    @strawberry.field
    def amount(self) -> Money:
        return Money.of(self.row.amount, self.row.currency)

    @strawberry.field
    def period_start(self) -> date:
        return self.row.period_start

    @strawberry.field(description="Exclusive, like renewsOn: the line covers [periodStart, periodEnd).")
    def period_end(self) -> date:
        return self.row.period_end

    @strawberry.field(description="The global id of the Quote this charge came from.")
    def quote_id(self) -> Optional[strawberry.ID]:
        return None if self.row.quote_id is None else strawberry.ID(to_global_id("Quote", self.row.quote_id))

    @strawberry.field
    def explanation(self) -> str:
        return self.row.explanation

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row.created_at

    @classmethod
    def from_model(cls, row: LedgerLineRow) -> "LedgerLine":
        return cls(row=row, account_id=row.account_id)


async def _terms(info: Info, account_id: int) -> Terms:
    """Billing's terms as of now (renewed first when due, O2); one loader per request,
    shared with `usage`."""
    ctx = info.context
    return await ctx.loader(terms_as_of).load(AsOf(account_id, ctx.now, ctx.catalog))


async def subscription_of(info: Info, account_id: int) -> Subscription:
    return Subscription.from_terms(await _terms(info, account_id))


async def ledger_of(info: Info, account_id: int) -> list[LedgerLine]:
    await _terms(info, account_id)  # a renewal that is due writes its period's line first (O2)
    rows = await info.context.loader(queries.ledger_by_account).load(account_id)
    return [LedgerLine.from_model(row) for row in rows]
