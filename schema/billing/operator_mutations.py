"""Operators' mutations (P3, S7, S8): special discounts and negotiated seat prices.
They need `billing:operate`, which only operator tokens carry."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Optional

import strawberry

from auth.permissions import requires
from auth.scopes import Scope
from domain.accounts import queries as account_queries
from domain.billing import operators
from schema.billing.queries import OperatorAccount
from schema.context import Info
from schema.errors import UserError, mutate
from schema.relay import from_global_id


@strawberry.enum
class SpecialDiscountCode(Enum):
    NEW_BUSINESS = "new_business"
    CHARITY = "charity"


@strawberry.input
class SetAccountDiscountInput:
    account_id: strawberry.ID
    code: SpecialDiscountCode
    ends_on: Optional[date] = strawberry.field(default=None, description="Exclusive; required for NEW_BUSINESS.")


@strawberry.input
class RemoveAccountDiscountInput:
    account_id: strawberry.ID
    code: SpecialDiscountCode


@strawberry.input
class SetNegotiatedSeatPriceInput:
    account_id: strawberry.ID
    seat_price: Optional[Decimal] = strawberry.field(default=None, description="Null ends the agreement.")


@strawberry.type
class OperatorAccountPayload:
    account: Optional[OperatorAccount] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def _account_payload(info: Info, subscription) -> dict:  # noqa: ANN001
    row = await info.context.loader(account_queries.accounts_by_id).load(subscription.account_id)
    return {"account": OperatorAccount.from_model(row)}


async def _run(info: Info, call) -> OperatorAccountPayload:  # noqa: ANN001
    async def with_account():  # noqa: ANN202
        return await _account_payload(info, await call())

    return await mutate(info, OperatorAccountPayload, with_account, lambda fields: fields)


@strawberry.type
class OperatorBillingMutation:
    @strawberry.mutation(extensions=requires(Scope.BILLING_OPERATE))
    async def set_account_discount(self, info: Info, input: SetAccountDiscountInput) -> OperatorAccountPayload:
        ctx = info.context
        return await _run(info, lambda: operators.set_account_discount(
            ctx.actor, from_global_id(input.account_id, "Account", field="accountId"), input.code.value,
            input.ends_on, now=ctx.now, catalog=ctx.catalog))

    @strawberry.mutation(extensions=requires(Scope.BILLING_OPERATE))
    async def remove_account_discount(self, info: Info, input: RemoveAccountDiscountInput) -> OperatorAccountPayload:
        ctx = info.context
        return await _run(info, lambda: operators.remove_account_discount(
            ctx.actor, from_global_id(input.account_id, "Account", field="accountId"), input.code.value,
            now=ctx.now, catalog=ctx.catalog))

    @strawberry.mutation(extensions=requires(Scope.BILLING_OPERATE))
    async def set_negotiated_seat_price(self, info: Info,
                                        input: SetNegotiatedSeatPriceInput) -> OperatorAccountPayload:
        ctx = info.context
        return await _run(info, lambda: operators.set_negotiated_seat_price(
            ctx.actor, from_global_id(input.account_id, "Account", field="accountId"), input.seat_price,
            now=ctx.now, catalog=ctx.catalog))
