"""Operators' mutations (P3, S7, S8): special discounts and negotiated seat prices.
They need `billing:operate`, which only operator tokens carry."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Annotated, Optional

import strawberry

from auth.permissions import requires
from auth.scopes import Scope
from domain.accounts import queries as account_queries
from domain.billing import operators
from schema.billing.queries import OperatorAccount
from schema.context import Info
from schema.errors import UserError, mutate
from schema.relay import from_global_id


@strawberry.enum(description="A special discount of the catalog that an operator can grant.")
class SpecialDiscountCode(Enum):
    NEW_BUSINESS = strawberry.enum_value("new_business", description="For an organisation registered recently; "
                                                                     "always with an end date.")
    CHARITY = strawberry.enum_value("charity", description="For a charity.")


@strawberry.input(description="A special discount to grant, or to grant again with a new end date.")
class SetAccountDiscountInput:
    account_id: strawberry.ID = strawberry.field(description="The account's global id.")
    code: SpecialDiscountCode = strawberry.field(description="Which discount.")
    ends_on: Optional[date] = strawberry.field(default=None, description="The first day it no longer applies "
                                                                         "(exclusive), after today; required for "
                                                                         "NEW_BUSINESS.")


@strawberry.input(description="A special discount to end.")
class RemoveAccountDiscountInput:
    account_id: strawberry.ID = strawberry.field(description="The account's global id.")
    code: SpecialDiscountCode = strawberry.field(description="Which discount.")


@strawberry.input(description="A negotiated seat price for an account.")
class SetNegotiatedSeatPriceInput:
    account_id: strawberry.ID = strawberry.field(description="The account's global id.")
    seat_price: Optional[Decimal] = strawberry.field(default=None, description="The price of one seat per month, in "
                                                                               "the catalog's currency: whole cents "
                                                                               "above 0, at most 100000.00. Null "
                                                                               "ends the agreement.")


@strawberry.type(description="The account after an operator's change, or why not.")
class OperatorAccountPayload:
    account: Optional[OperatorAccount] = strawberry.field(default=None, description="The account as it is now.")
    user_errors: list[UserError] = strawberry.field(default_factory=list,
                                                    description="What the caller can fix; empty on success.")


async def _account_payload(info: Info, subscription) -> dict:  # noqa: ANN001
    row = await info.context.loader(account_queries.accounts_by_id).load(subscription.account_id)
    return {"account": OperatorAccount.from_model(row)}


async def _run(info: Info, account_global_id: str, call) -> OperatorAccountPayload:  # noqa: ANN001
    """`call(account_id, now)`: at the account's test clock unless the request gave a time (O4)."""
    async def with_account():  # noqa: ANN202
        account_id = from_global_id(account_global_id, "Account", field="accountId")
        return await _account_payload(info, await call(account_id, await info.context.now_in(account_id)))

    return await mutate(info, OperatorAccountPayload, with_account, lambda fields: fields)


@strawberry.type
class OperatorBillingMutation:
    @strawberry.mutation(extensions=requires(Scope.BILLING_OPERATE), description=(
        "Grant a special discount to an account, or grant it again with a new end date; the account pays at "
        "most the larger of its special discounts. Operators (billing:operate). Audited in the account's log "
        "; quotes made before go stale. userErrors: NOT_FOUND (accountId), INVALID_INPUT (no end date "
        "for NEW_BUSINESS, an end date not after today)."))
    async def set_account_discount(self, info: Info, input: Annotated[SetAccountDiscountInput, strawberry.argument(
            description="The account, the discount and its end.")]) -> OperatorAccountPayload:
        ctx = info.context
        return await _run(info, input.account_id, lambda account_id, now: operators.set_account_discount(
            ctx.actor, account_id, input.code.value, input.ends_on, now=now, catalog=ctx.catalog))

    @strawberry.mutation(extensions=requires(Scope.BILLING_OPERATE), description=(
        "End an account's special discount now. Operators (billing:operate). Audited; quotes made "
        "before go stale. userErrors: NOT_FOUND (no such account, or it holds no such discount)."))
    async def remove_account_discount(self, info: Info, input: Annotated[RemoveAccountDiscountInput, strawberry.argument(
            description="The account and the discount.")]) -> OperatorAccountPayload:
        ctx = info.context
        return await _run(info, input.account_id, lambda account_id, now: operators.remove_account_discount(
            ctx.actor, account_id, input.code.value, now=now, catalog=ctx.catalog))

    @strawberry.mutation(extensions=requires(Scope.BILLING_OPERATE), description=(
        "Set, or end, a negotiated seat price for an account with at least its plan's standard seats + 30. "
        "It lapses at a renewal that leaves fewer seats. Operators (billing:operate). Audited; quotes made "
        "before go stale. userErrors: NOT_FOUND (accountId), INVALID_INPUT (the price, or too few seats)."))
    async def set_negotiated_seat_price(self, info: Info, input: Annotated[SetNegotiatedSeatPriceInput, strawberry.argument(
            description="The account and the price.")]) -> OperatorAccountPayload:
        ctx = info.context
        return await _run(info, input.account_id, lambda account_id, now: operators.set_negotiated_seat_price(
            ctx.actor, account_id, input.seat_price, now=now, catalog=ctx.catalog))
