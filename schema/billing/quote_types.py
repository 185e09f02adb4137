"""`Quote` and `QuoteLine` (Q1). A quote is a node only its account's owners can load."""
from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Optional

import strawberry

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


@strawberry.enum
class SubscriptionChangeKind(Enum):
    PLAN = "plan"
    TERM = "term"
    SEATS = "seats"
    ACTIVE_CLIENT_TIER = "tier"


@strawberry.enum(description="When a quote line takes effect: at once (charged on apply), at the "
                             "renewal, or a pending change the quote withdraws.")
class QuoteLineEffect(Enum):
    NOW = "now"
    AT_RENEWAL = "at_renewal"
    WITHDRAWN = "withdrawn"


@rules(audience=Audience.BILLING)
@strawberry.type
class QuoteLine:
    row: strawberry.Private[QuoteLineRow]
    currency: strawberry.Private[str]

    @strawberry.field
    def description(self) -> str:
        return self.row.description

    @strawberry.field
    def amount(self) -> Money:
        return Money.of(self.row.amount, self.currency)

    @strawberry.field
    def effective_on(self) -> date:
        return self.row.effective_on

    @strawberry.field
    def remaining_days(self) -> Optional[int]:
        return self.row.remaining_days

    @strawberry.field
    def period_days(self) -> Optional[int]:
        return self.row.period_days

    @strawberry.field(description="How the amount was computed, e.g. \"€2.50 = (€30.00 − €15.00) × 5/30, half up\".")
    def explanation(self) -> str:
        return self.row.explanation

    @strawberry.field
    def change(self) -> SubscriptionChangeKind:
        return SubscriptionChangeKind(self.row.change)

    @strawberry.field
    def effect(self) -> QuoteLineEffect:
        return QuoteLineEffect(self.row.effect)

    @strawberry.field(name="from")
    def from_value(self) -> str:
        return self.row.from_value

    @strawberry.field(name="to")
    def to_value(self) -> str:
        return self.row.to_value


@rules(audience=Audience.BILLING)
@strawberry.type
class Quote(Node):
    row: strawberry.Private[QuoteRow]
    account_id: strawberry.Private[int]
    line_rows: strawberry.Private[Optional[list[QuoteLineRow]]] = None

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Quote", self.row.id))

    @strawberry.field
    async def lines(self, info: Info) -> list[QuoteLine]:
        rows = self.line_rows
        if rows is None:
            rows = await info.context.loader(queries.quote_lines_by_quote).load(self.row.id)
        return [QuoteLine(row=row, currency=self.row.currency) for row in rows]

    @strawberry.field
    def due_now(self) -> Money:
        return Money.of(self.row.due_now, self.row.currency)

    @strawberry.field
    def price_per_period_after(self) -> Money:
        return Money.of(self.row.price_per_period_after, self.row.currency)

    @strawberry.field
    def expires_at(self) -> datetime:
        return self.row.expires_at

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row.created_at

    @classmethod
    def from_stored(cls, stored: StoredQuote) -> "Quote":
        return cls(row=stored.quote, account_id=stored.quote.account_id, line_rows=list(stored.lines))


async def _quote_node(info: Info, pk: int) -> Quote | None:
    """Only the owners of the quote's account (D4: anyone else sees nothing)."""
    actor = info.context.actor
    if not actor.is_owner:
        return None
    row = await info.context.loader(queries.quotes_by_id).load(pk)
    if row is None or row.account_id != actor.account_id:
        return None
    return Quote(row=row, account_id=row.account_id)


register_node("Quote", _quote_node)
