"""Owners' subscription mutations (S4, S5, S9, Q1–Q3): quote, apply, cancel."""
from __future__ import annotations

from typing import Optional

import strawberry

from auth.permissions import requires
from auth.scopes import Scope
from domain.billing import changes, quotes
from schema.billing.enums import ActiveClientTier, Term
from schema.billing.money import Money
from schema.billing.operator_mutations import OperatorBillingMutation
from schema.billing.quote_types import Quote
from schema.billing.types import LedgerLine, Subscription
from schema.context import Info
from schema.errors import UserError, mutate
from schema.relay import from_global_id


@strawberry.input
class SubscriptionChangeInput:
    plan: Optional[str] = None
    term: Optional[Term] = None
    seats: Optional[int] = None
    active_client_tier: Optional[ActiveClientTier] = None


@strawberry.input
class ApplySubscriptionChangeInput:
    quote_id: strawberry.ID
    idempotency_key: str = strawberry.field(description="Any unique string per intended change (e.g. a "
                                                        "UUID); sending it again returns the same result.")


@strawberry.input
class CancelSubscriptionInput:
    reason: Optional[str] = None


@strawberry.type
class QuotePayload:
    quote: Optional[Quote] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ApplySubscriptionChangePayload:
    subscription: Optional[Subscription] = None
    charged: Optional[Money] = None
    ledger_lines: list[LedgerLine] = strawberry.field(default_factory=list)
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SubscriptionPayload:
    subscription: Optional[Subscription] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class BillingMutation(OperatorBillingMutation):
    @strawberry.mutation(extensions=requires(Scope.BILLING_MANAGE))
    async def quote_subscription_change(self, info: Info, input: SubscriptionChangeInput) -> QuotePayload:
        ctx = info.context
        request = quotes.ChangeRequest(
            plan=input.plan, term=input.term.value if input.term else None, seats=input.seats,
            tier=input.active_client_tier.value if input.active_client_tier else None,
        )
        return await mutate(info, QuotePayload,
                            lambda: quotes.quote_subscription_change(ctx.actor, request, now=ctx.now,
                                                                     catalog=ctx.catalog),
                            lambda stored: {"quote": Quote.from_stored(stored)})

    @strawberry.mutation(extensions=requires(Scope.BILLING_MANAGE))
    async def apply_subscription_change(self, info: Info,
                                        input: ApplySubscriptionChangeInput) -> ApplySubscriptionChangePayload:
        ctx = info.context

        async def call() -> changes.Applied:
            quote_id = from_global_id(input.quote_id, "Quote", field="quoteId")
            return await changes.apply_subscription_change(ctx.actor, quote_id, input.idempotency_key, now=ctx.now)

        return await mutate(info, ApplySubscriptionChangePayload, call, lambda applied: {
            "subscription": Subscription.from_terms(applied.subscription),
            "charged": Money.of(applied.charged, applied.currency),
            "ledger_lines": [LedgerLine.from_model(row) for row in applied.ledger_lines],
        })

    @strawberry.mutation(extensions=requires(Scope.BILLING_MANAGE))
    async def cancel_subscription(self, info: Info, input: CancelSubscriptionInput) -> SubscriptionPayload:
        ctx = info.context
        return await mutate(info, SubscriptionPayload,
                            lambda: changes.cancel_subscription(ctx.actor, now=ctx.now, catalog=ctx.catalog,
                                                                reason=input.reason),
                            lambda terms: {"subscription": Subscription.from_terms(terms)})
