"""Subscription, catalog and ledger types. PLACEHOLDER until the billing issue lands."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Optional

import strawberry

from domain.billing.models import Subscription as SubscriptionRow
from schema.billing.enums import ActiveClientTier, Term
from schema.context import Info


@strawberry.type
class Money:
    amount: Decimal
    currency: str


@strawberry.type
class Plan:
    code: str
    name: str
    seat_price: Money


@strawberry.type
class ScheduledChange:
    description: str
    effective_on: date


@strawberry.type
class Subscription:
    row: strawberry.Private[SubscriptionRow]

    @strawberry.field
    def term(self) -> Term:
        return Term(self.row.term)

    @strawberry.field
    def seats(self) -> int:
        return self.row.seats

    @strawberry.field
    def active_client_tier(self) -> ActiveClientTier:
        return ActiveClientTier(self.row.tier)

    @strawberry.field
    def period_start(self) -> date:
        return self.row.period_start

    @strawberry.field
    def renews_on(self) -> date:
        return self.row.renews_on

    @strawberry.field
    def cancels_on(self) -> Optional[date]:
        return self.row.cancels_on


@strawberry.type
class LedgerLine:
    id: strawberry.ID
    description: str
    amount: Money
    period_start: date
    period_end: date
    quote_id: Optional[strawberry.ID]
    created_at: datetime


async def subscription_of(info: Info, account_id: int) -> Subscription:
    return Subscription(row=await SubscriptionRow.get(account_id=account_id))


async def ledger_of(info: Info, account_id: int) -> list[LedgerLine]:
    return []
