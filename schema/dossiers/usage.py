"""Active-client usage (A6): an account's count, cap and active dossiers per month."""
from __future__ import annotations

import asyncio
from datetime import date
from typing import Optional

import strawberry
from graphql import GraphQLError

from auth.audiences import Audience
from domain.billing import terms as billing_terms
from infra.clock import month_key
from domain.core.errors import DomainError
from domain.dossiers import queries
from schema.context import Info
from schema.dossiers.types import Dossier
from schema.rules import rules


@rules(audience=Audience.BILLING)
@strawberry.type(description="An account's active clients in one calendar month of its time zone.")
class ActiveClientUsage:
    month: str = strawberry.field(description="The month, \"YYYY-MM\".")
    count: int = strawberry.field(description="How many different dossiers were active in it.")
    limit: Optional[int] = strawberry.field(description="The cap of the active-client tier the month had: at "
                                                        "its end for a past month, today's for this one; "
                                                        "null: unlimited.")
    resets_on: date = strawberry.field(description="The first day of the next month, when the count starts again "
                                                   "at zero.")
    account_id: strawberry.Private[int]

    @strawberry.field(description="The dossiers active in the month that the viewer may see, by client name.")
    async def active_dossiers(self, info: Info) -> list[Dossier]:
        key = (info.context.actor, self.account_id, self.month)
        page = await info.context.loader(queries.active_dossiers).load(key)
        return [Dossier.from_access(access) for access in page]

    @classmethod
    def of(cls, usage: queries.Usage) -> "ActiveClientUsage":
        return cls(month=usage.month, count=usage.count, limit=usage.limit, resets_on=usage.resets_on,
                   account_id=usage.account_id)


def _invalid(error: DomainError) -> GraphQLError:
    return GraphQLError(error.message, extensions={"code": "INVALID_INPUT", "field": list(error.field)})


async def _usages(info: Info, account, months: list[str]) -> list[ActiveClientUsage]:
    """Counts and caps through per-request loaders: billing's terms as of now are shared
    with `subscription`, and `usage` + `usageHistory` in one request read the counts once.
    A past month shows the cap it had (A6), from billing's tier history."""
    ctx = info.context
    now = await ctx.now_in(account.id)  # an operator sees the account at its test clock (O4)
    counts, terms = await asyncio.gather(
        ctx.loader(queries.month_counts).load_many([(account.id, month) for month in months]),
        ctx.loader(billing_terms.terms_as_of).load(billing_terms.AsOf(account.id, now, ctx.catalog)))
    this_month = month_key(now, terms.time_zone)
    history = (await ctx.loader(billing_terms.tier_histories).load(account.id)
               if any(month < this_month for month in months) else [])
    return [ActiveClientUsage.of(queries.usage_in(
                account.id, month, count, billing_terms.cap_of_month(ctx.catalog, terms, history, month)))
            for month, count in zip(months, counts)]


async def usage_of(info: Info, account, month: str | None) -> ActiveClientUsage:
    """`Account.usage(month)`; the account was already checked to be the principal's."""
    try:
        key = queries.check_month(month, info.context.now, account.time_zone)
    except DomainError as error:
        raise _invalid(error) from None
    return (await _usages(info, account, [key]))[0]


async def usage_history_of(info: Info, account, last: int) -> list[ActiveClientUsage]:
    """`Account.usageHistory(last)`: this month and the ones before it (A6)."""
    try:
        months = queries.history_months(account, last=last, now=info.context.now)
    except DomainError as error:
        raise _invalid(error) from None
    return await _usages(info, account, months)
