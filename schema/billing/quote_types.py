"""`Quote` and `QuoteLine` (Q1). A quote is a node only its account's owners can load."""
from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Optional

import strawberry

from auth import policy
from auth.audiences import Audience

from domain.billing import queries
from domain.billing.models import Quote as QuoteRow
from domain.billing.models import QuoteLine as QuoteLineRow
from domain.billing.quotes import StoredQuote
from schema.nodes import Node, register_node
from schema.billing.money import Money
from schema.context import Info
from schema.relay import to_global_id
from schema.rules import rules


@strawberry.enum(description="Which part of the subscription a quote line changes.")
class SubscriptionChangeKind(Enum):
    PLAN = strawberry.enum_value("plan", description="The plan: a dearer seat price applies now, a cheaper one at "
                                                     "the renewal.")
    TERM = strawberry.enum_value("term", description="The term: always at the renewal.")
    SEATS = strawberry.enum_value("seats", description="The number of paid seats: more now, fewer at the renewal.")
    ACTIVE_CLIENT_TIER = strawberry.enum_value("tier", description="The active-client tier: a higher cap now, a "
                                                                   "lower one at the renewal.")


@strawberry.enum(description="When a quote line takes effect: at once (charged on apply), at the "
                             "renewal, or a pending change the quote withdraws.")
class QuoteLineEffect(Enum):
    NOW = strawberry.enum_value("now", description="An increase: in force from today and charged, prorated, when the "
                                                   "quote is applied.")
    AT_RENEWAL = strawberry.enum_value("at_renewal", description="A term change or a decrease: scheduled for the "
                                                                 "renewal date; nothing is due now.")
    WITHDRAWN = strawberry.enum_value("withdrawn", description="A pending scheduled change that the quote takes "
                                                               "back: what is in force today stays; nothing is due "
                                                               ".")


@rules(audience=Audience.BILLING)
@strawberry.type(description="One part of a quoted change: what changes, from what to what, when, and "
                             "what it costs now.")
class QuoteLine:
    row: strawberry.Private[QuoteLineRow]
    currency: strawberry.Private[str]

    @strawberry.field(description="What changes, from what to what, e.g. \"Active clients: up to 10 → up to 25\".")
    def description(self) -> str:
        return self.row.description

    @strawberry.field(description="What this part costs now: the prorated difference for an increase, 0.00 "
                                  "for a part that waits for the renewal or is withdrawn.")
    def amount(self) -> Money:
        return Money.of(self.row.amount, self.currency)

    @strawberry.field(description="The day it takes effect: today for an increase, the renewal date otherwise.")
    def effective_on(self) -> date:
        return self.row.effective_on

    @strawberry.field(description="Days left in the period, today included: renewal date − today; null for a "
                                  "part that is not prorated.")
    def remaining_days(self) -> Optional[int]:
        return self.row.remaining_days

    @strawberry.field(description="Days in the current period (28–31, 90–92, 181–184 or 365–366); null for a "
                                  "part that is not prorated.")
    def period_days(self) -> Optional[int]:
        return self.row.period_days

    @strawberry.field(description="How the amount was computed, e.g. \"€2.50 = (€30.00 − €15.00) × 5/30, half up\" "
                                  ".")
    def explanation(self) -> str:
        return self.row.explanation

    @strawberry.field(description="Which part of the subscription it changes.")
    def change(self) -> SubscriptionChangeKind:
        return SubscriptionChangeKind(self.row.change)

    @strawberry.field(description="When it takes effect, and whether it is charged now.")
    def effect(self) -> QuoteLineEffect:
        return QuoteLineEffect(self.row.effect)

    @strawberry.field(name="from", description="The value before, as text: a plan code (\"pro\"), a term "
                                               "(\"MONTHLY\"), a number of seats (\"3\") or a tier (\"UP_TO_10\"). "
                                               "For a withdrawn line: the pending value taken back.")
    def from_value(self) -> str:
        return self.row.from_value

    @strawberry.field(name="to", description="The value after, in the same form as `from`.")
    def to_value(self) -> str:
        return self.row.to_value


@rules(audience=Audience.BILLING)
@strawberry.type(description="A priced subscription change. Applying it charges exactly `dueNow`, or is "
                             "refused. Owners load it with `node`; a limit's payload shows it to the account's "
                             "people.")
class Quote(Node):
    row: strawberry.Private[QuoteRow]
    account_id: strawberry.Private[int]
    line_rows: strawberry.Private[Optional[list[QuoteLineRow]]] = None

    @strawberry.field(description="The quote's global id, as applySubscriptionChange takes it.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Quote", self.row.id))

    @strawberry.field(description="Each part of the change: increases charged now first, then the parts that wait "
                                  "for the renewal and the pending changes it withdraws.")
    async def lines(self, info: Info) -> list[QuoteLine]:
        rows = self.line_rows
        if rows is None:
            rows = await info.context.loader(queries.quote_lines_by_quote).load(self.row.id)
        return [QuoteLine(row=row, currency=self.row.currency) for row in rows]

    @strawberry.field(description="What applying charges now: the sum of the lines' amounts.")
    def due_now(self) -> Money:
        return Money.of(self.row.due_now, self.row.currency)

    @strawberry.field(description="The price of a whole period on the new terms, charged from the renewal on "
                                  ".")
    def price_per_period_after(self) -> Money:
        return Money.of(self.row.price_per_period_after, self.row.currency)

    @strawberry.field(description="When it lapses: midnight after the day it was made, in the account's time zone, "
                                  "since the proration was computed for that day. Afterwards: QUOTE_EXPIRED.")
    def expires_at(self) -> datetime:
        return self.row.expires_at

    @strawberry.field(description="When it was made.")
    def created_at(self) -> datetime:
        return self.row.created_at

    @classmethod
    def from_stored(cls, stored: StoredQuote) -> "Quote":
        return cls(row=stored.quote, account_id=stored.quote.account_id, line_rows=list(stored.lines))


async def _quote_node(info: Info, pk: int) -> Quote | None:
    """Only the owners of the quote's account (D4: anyone else sees nothing)."""
    row = await info.context.loader(queries.quotes_by_id).load(pk)
    if row is None or not policy.may(info.context.principal, "billing", "manage", policy.Facts(row.account_id)):
        return None
    return Quote(row=row, account_id=row.account_id)


register_node("Quote", _quote_node)
