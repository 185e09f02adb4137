"""Owners' subscription mutations (S4, S5, S9, Q1–Q3): quote, apply, cancel."""
from __future__ import annotations

from typing import Annotated, Optional

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


@strawberry.input(description="What to change. Parts left out stay as they will be after the renewal, pending "
                              "scheduled changes included; give at least one.")
class SubscriptionChangeInput:
    plan: Optional[str] = strawberry.field(default=None, description="A plan code of the catalog, e.g. \"team\": a "
                                                                     "dearer plan applies now, a cheaper one at the "
                                                                     "renewal.")
    term: Optional[Term] = strawberry.field(default=None, description="A new term: always at the renewal.")
    seats: Optional[int] = strawberry.field(default=None, description="The number of seats wanted, 1 to 10000: more "
                                                                      "apply now, fewer at the renewal, never fewer "
                                                                      "than the teammates.")
    active_client_tier: Optional[ActiveClientTier] = strawberry.field(
        default=None, description="A new tier: a higher cap applies now, a lower one at the renewal.")


@strawberry.input(description="The quote to apply, once.")
class ApplySubscriptionChangeInput:
    quote_id: strawberry.ID = strawberry.field(description="The quote's global id.")
    idempotency_key: str = strawberry.field(description="Any unique string per intended change (e.g. a "
                                                        "UUID), at most 200 characters; sending it again returns "
                                                        "the same result.")


@strawberry.input(description="Cancelling the subscription.")
class CancelSubscriptionInput:
    reason: Optional[str] = strawberry.field(default=None, description="Why, for the audit log; at most 200 "
                                                                       "characters.")


@strawberry.type(description="The quote asked for, or why not.")
class QuotePayload:
    quote: Optional[Quote] = strawberry.field(default=None, description="The stored quote; apply it before it "
                                                                        "expires.")
    user_errors: list[UserError] = strawberry.field(default_factory=list,
                                                    description="What the caller can fix; empty on success.")


@strawberry.type(description="The subscription after the change and what it cost, or why not.")
class ApplySubscriptionChangePayload:
    subscription: Optional[Subscription] = strawberry.field(default=None, description="The subscription as it is "
                                                                                      "now.")
    charged: Optional[Money] = strawberry.field(default=None, description="What was charged: exactly the quote's "
                                                                          "`dueNow`.")
    ledger_lines: list[LedgerLine] = strawberry.field(default_factory=list,
                                                      description="The ledger lines written for it, one per part "
                                                                  "charged now.")
    user_errors: list[UserError] = strawberry.field(default_factory=list,
                                                    description="What the caller can fix; empty on success.")


@strawberry.type(description="The subscription after the change, or why not.")
class SubscriptionPayload:
    subscription: Optional[Subscription] = strawberry.field(default=None, description="The subscription as it is "
                                                                                      "now.")
    user_errors: list[UserError] = strawberry.field(default_factory=list,
                                                    description="What the caller can fix; empty on success.")


@strawberry.type
class BillingMutation(OperatorBillingMutation):
    @strawberry.mutation(extensions=requires(Scope.BILLING_MANAGE), description=(
        "Price a change of plan, term, seats or active-client tier before making it: increases are prorated "
        "for the rest of the period, decreases and term changes wait for the renewal. Owners "
        "(billing:manage). Nothing changes until the quote is applied. userErrors: INVALID_INPUT (an unknown plan, "
        "seats outside 1–10000, nothing to change, a change at the renewal of a cancelled subscription), "
        "SEATS_BELOW_TEAMMATES, ACCOUNT_READ_ONLY."))
    async def quote_subscription_change(self, info: Info, input: Annotated[SubscriptionChangeInput, strawberry.argument(
            description="The change to price.")]) -> QuotePayload:
        ctx = info.context
        request = quotes.ChangeRequest(
            plan=input.plan, term=input.term.value if input.term else None, seats=input.seats,
            tier=input.active_client_tier.value if input.active_client_tier else None,
        )
        return await mutate(info, QuotePayload,
                            lambda: quotes.quote_subscription_change(ctx.actor, request, now=ctx.now,
                                                                     catalog=ctx.catalog),
                            lambda stored: {"quote": Quote.from_stored(stored)})

    @strawberry.mutation(extensions=requires(Scope.BILLING_MANAGE), description=(
        "Apply a quote: charge exactly its `dueNow`, write the ledger lines and schedule the parts that wait for "
        "the renewal. Owners (billing:manage). Audited. The same idempotencyKey applies "
        "once and answers the same result again. userErrors: NOT_FOUND (quoteId), QUOTE_EXPIRED, QUOTE_STALE, "
        "ACCOUNT_READ_ONLY, INVALID_INPUT (an idempotency key used for another quote)."))
    async def apply_subscription_change(self, info: Info, input: Annotated[ApplySubscriptionChangeInput, strawberry.argument(
            description="The quote and the idempotency key.")]) -> ApplySubscriptionChangePayload:
        ctx = info.context

        async def call() -> changes.Applied:
            quote_id = from_global_id(input.quote_id, "Quote", field="quoteId")
            return await changes.apply_subscription_change(ctx.actor, quote_id, input.idempotency_key, now=ctx.now,
                                                           catalog=ctx.catalog)

        return await mutate(info, ApplySubscriptionChangePayload, call, lambda applied: {
            "subscription": Subscription.from_terms(applied.subscription),
            "charged": Money.of(applied.charged, applied.currency),
            "ledger_lines": [LedgerLine.from_model(row) for row in applied.ledger_lines],
        })

    @strawberry.mutation(extensions=requires(Scope.BILLING_MANAGE), description=(
        "Cancel at the renewal date: until then everything works; from then the account can read and export "
        "its dossiers, not write, and nothing is deleted. Pending scheduled changes are dropped and quotes made "
        "before go stale. Cancelling again changes nothing. Owners (billing:manage). Audited. userErrors: "
        "INVALID_INPUT (reason), ACCOUNT_READ_ONLY (it has ended already)."))
    async def cancel_subscription(self, info: Info, input: Annotated[CancelSubscriptionInput, strawberry.argument(
            description="An optional reason.")]) -> SubscriptionPayload:
        ctx = info.context
        return await mutate(info, SubscriptionPayload,
                            lambda: changes.cancel_subscription(ctx.actor, now=ctx.now, catalog=ctx.catalog,
                                                                reason=input.reason),
                            lambda terms: {"subscription": Subscription.from_terms(terms)})
