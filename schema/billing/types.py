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
from domain.core.paging import Slice
from schema.relay import Connection, encode_cursor, to_global_id
from schema.rules import rules


@rules(audience=Audience.BILLING)
@strawberry.type(description="A plan of the catalog: what one paid seat costs.")
class Plan:
    code: str = strawberry.field(description="The plan's stable code, as `plan` takes it (signUp, "
                                             "quoteSubscriptionChange), e.g. \"pro\".")
    name: str = strawberry.field(description="Its name for people, e.g. \"Pro\".")
    seat_price: Money = strawberry.field(description="The price of one seat per month, before discounts.")
    standard_seats: int = strawberry.field(description="The plan's standard size: with this many + 30 seats or "
                                                       "more, an operator may agree a seat price.")

    @classmethod
    def from_data(cls, plan: PlanData, currency: str) -> "Plan":
        return cls(code=plan.code, name=plan.name, seat_price=Money.of(plan.seat_price, currency),
                   standard_seats=plan.standard_seats)


@rules(audience=Audience.BILLING)
@strawberry.type(description="A term of the catalog and its discount.")
class TermOffer:
    term: Term = strawberry.field(description="The term.")
    months: int = strawberry.field(description="Months in one period: 1, 3, 6 or 12.")
    discount_percent: Decimal = strawberry.field(description="Percent off the period's price, e.g. \"5\" for 5%; "
                                                             "\"0\" for none.")


@rules(audience=Audience.BILLING)
@strawberry.type(description="An active-client tier of the catalog and its price.")
class TierOffer:
    tier: ActiveClientTier = strawberry.field(description="The tier.")
    limit: Optional[int] = strawberry.field(description="Its cap of active clients a month; null: unlimited.")
    price_per_month: Money = strawberry.field(description="What the tier adds to the price per month.")


@rules(audience=Audience.BILLING)
@strawberry.type(description="The price list: plans, terms and tiers. Prices are data, not code; the "
                             "catalog is public.")
class Catalog:
    currency: str = strawberry.field(description="The ISO 4217 currency of every price, e.g. \"EUR\".")
    plans: list[Plan] = strawberry.field(description="The plans, in the catalog's order.")
    terms: list[TermOffer] = strawberry.field(description="The terms, shortest first.")
    tiers: list[TierOffer] = strawberry.field(description="The active-client tiers, smallest cap first.")

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
@strawberry.type(description="A change waiting for the renewal: a term change, or a decrease of seats, "
                             "tier or plan. No credit is given for a decrease.")
class ScheduledChange:
    description: str = strawberry.field(description="What changes, e.g. \"Seats: 5 → 3\".")
    effective_on: date = strawberry.field(description="The day it takes effect: the renewal date.")

    @classmethod
    def from_model(cls, row: ScheduledChangeRow) -> "ScheduledChange":
        return cls(description=row.description, effective_on=row.effective_on)


@rules(audience=Audience.BILLING)
@strawberry.type(description="A special discount an operator granted; endsOn is exclusive.")
class AccountDiscount:
    code: str = strawberry.field(description="The discount's code in the catalog: \"new_business\" or "
                                             "\"charity\".")
    name: str = strawberry.field(description="Its name for people, e.g. \"Charity\".")
    percent: Decimal = strawberry.field(description="Percent off the period's price, e.g. \"25\".")
    ends_on: Optional[date] = strawberry.field(description="The first day it no longer applies (exclusive); null: "
                                                           "no end.")

    @classmethod
    def from_model(cls, row: AccountDiscountRow) -> "AccountDiscount":
        return cls(code=row.code, name=row.name, percent=row.percent, ends_on=row.ends_on)


@rules(audience=Audience.BILLING)
@strawberry.type(description="What the account buys: plan, term, seats and active-client tier, and its "
                             "current period. Always as of now: a renewal or scheduled change that is due is applied "
                             "before it is answered. For the account's people acting in it, and operators; never machine "
                             "credentials.")
class Subscription:
    """The terms as of now (O2): billing renewed a subscription found due before
    answering, and read it with its account's day in one statement."""

    terms: strawberry.Private[Terms]
    account_id: strawberry.Private[int]

    async def _discount_rows(self, info: Info) -> list[AccountDiscountRow]:
        return await info.context.loader(queries.discounts_by_account).load(self.terms.account_id)

    @strawberry.field(description="The plan in force.")
    def plan(self, info: Info) -> Plan:
        catalog = info.context.catalog
        return Plan.from_data(catalog.plan(self.terms.plan_code), catalog.currency)

    @strawberry.field(description="The term in force; a change waits for the renewal.")
    def term(self) -> Term:
        return Term(self.terms.term)

    @strawberry.field(description="Paid seats bought: each teammate, and each pending teammate invitation, "
                                  "takes one.")
    def seats(self) -> int:
        return self.terms.seats

    @strawberry.field(description="Teammates the account has now. Pending invitations hold a seat too but are "
                                  "not counted here.")
    async def seats_used(self, info: Info) -> int:
        return await info.context.loader(queries.seats_used_by_account).load(self.terms.account_id)

    @strawberry.field(description="The active-client tier in force; its cap limits this month's count.")
    def active_client_tier(self) -> ActiveClientTier:
        return ActiveClientTier(self.terms.tier)

    @strawberry.field(description="The first day of the current period, in the account's time zone.")
    def period_start(self) -> date:
        return self.terms.period_start

    @strawberry.field(description="The first day of the next period: the current one is [periodStart, renewsOn) "
                                  ". Scheduled changes and a cancellation take effect on it.")
    def renews_on(self) -> date:
        return self.terms.renews_on

    @strawberry.field(description="The price of a whole period at today's terms and discounts.")
    async def price_per_period(self, info: Info) -> Money:
        catalog = info.context.catalog
        discounts = discount_set(self.terms, await self._discount_rows(info), self.terms.today)
        return Money.of(round_money(period_price(catalog, terms_of(self.terms), discounts).amount), catalog.currency)

    @strawberry.field(description="Changes waiting for the renewal, in the order they were made.")
    async def scheduled_changes(self, info: Info) -> list[ScheduledChange]:
        rows = await info.context.loader(queries.scheduled_by_account).load(self.terms.account_id)
        return [ScheduledChange.from_model(row) for row in rows]

    @strawberry.field(description="The day a cancellation takes effect, the renewal date; null while not "
                                  "cancelled. From that day the account can read and export, not write.")
    def cancels_on(self) -> Optional[date]:
        return self.terms.cancels_on

    @strawberry.field(description="Special discounts in force today; only the larger one applies.")
    async def discounts(self, info: Info) -> list[AccountDiscount]:
        return [AccountDiscount.from_model(row) for row in await self._discount_rows(info)
                if is_active_discount(row, self.terms.today)]

    @strawberry.field(description="The operator-negotiated seat price, if any.")
    def negotiated_seat_price(self, info: Info) -> Optional[Money]:
        price = self.terms.negotiated_seat_price
        return None if price is None else Money.of(price, info.context.catalog.currency)

    @strawberry.field(description="The terms in one line, e.g. \"Pro, 3 seats, up to 25 active clients, "
                                  "monthly\".")
    def summary(self, info: Info) -> str:
        return describe_terms(info.context.catalog, self.terms)

    @classmethod
    def from_terms(cls, terms: Terms) -> "Subscription":
        return cls(terms=terms, account_id=terms.account_id)


@rules(audience=Audience.BILLING)
@strawberry.type(description="One charge in the account's ledger: a period's full price, or the proration "
                             "of an increase. The ledger is append-only. Owners, and operators.")
class LedgerLine:
    row: strawberry.Private[LedgerLineRow]
    account_id: strawberry.Private[int]

    @strawberry.field(description="The line's global id.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("LedgerLine", self.row.id))

    @strawberry.field(description="What was charged, e.g. \"Pro, 1 seat, up to 10 active clients, monthly: "
                                  "2026-04-15 to 2026-05-15\" or \"Seats: 1 → 2\".")
    def description(self) -> str:
        return self.row.description

    @strawberry.field(description="How many: the seats added, for a seat increase; 1 otherwise.")
    def quantity(self) -> int:
        return self.row.quantity

    @strawberry.field(description="The amount charged, rounded to the cent, half up.")
    def amount(self) -> Money:
        return Money.of(self.row.amount, self.row.currency)

    @strawberry.field(description="The first day the line covers: the period's start, or the day of the increase.")
    def period_start(self) -> date:
        return self.row.period_start

    @strawberry.field(description="Exclusive, like renewsOn: the line covers [periodStart, periodEnd).")
    def period_end(self) -> date:
        return self.row.period_end

    @strawberry.field(description="The global id of the Quote this charge came from; null for a period's own "
                                  "line.")
    def quote_id(self) -> Optional[strawberry.ID]:
        return None if self.row.quote_id is None else strawberry.ID(to_global_id("Quote", self.row.quote_id))

    @strawberry.field(description="How the amount was computed, e.g. \"€2.50 = (€30.00 − €15.00) × 5/30, half "
                                  "up\".")
    def explanation(self) -> str:
        return self.row.explanation

    @strawberry.field(description="When it was charged.")
    def created_at(self) -> datetime:
        return self.row.created_at

    @classmethod
    def from_model(cls, row: LedgerLineRow) -> "LedgerLine":
        return cls(row=row, account_id=row.account_id)


async def _terms(info: Info, account_id: int) -> Terms:
    """Billing's terms as of now (renewed first when due, O2); one loader per request,
    shared with `usage`."""
    ctx = info.context
    return await ctx.loader(terms_as_of).load(AsOf(account_id, await ctx.now_in(account_id), ctx.catalog))


async def subscription_of(info: Info, account_id: int) -> Subscription:
    return Subscription.from_terms(await _terms(info, account_id))


async def ledger_of(info: Info, account_id: int) -> list[LedgerLine]:
    await _terms(info, account_id)  # a renewal that is due writes its period's line first (O2)
    rows = await info.context.loader(queries.ledger_by_account).load(account_id)
    return [LedgerLine.from_model(row) for row in rows]


async def ledger_lines_of(info: Info, account_id: int, wanted: Slice) -> Connection[LedgerLine]:
    await _terms(info, account_id)  # a renewal that is due writes its period's line first (O2)
    rows, more = await queries.ledger_page(account_id, wanted)
    return Connection.of([LedgerLine.from_model(row) for row in rows], [encode_cursor(row.id) for row in rows],
                         wanted, more, lambda: queries.ledger_count(account_id))
