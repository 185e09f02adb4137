"""advanceTestClock (API.md "Test clocks"): parse, call the domain, map."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from auth.permissions import requires
from domain.accounts.test_clock import advance_test_clock
from schema.accounts.identity import AccountPayload
from schema.accounts.types import Account
from schema.context import Info
from schema.errors import mutate


@strawberry.input(description="Where to move the account's test clock.")
class AdvanceTestClockInput:
    to: datetime = strawberry.field(description="The new business time, with an offset; not before the account's "
                                                "current one.")


@strawberry.type
class TestClockMutation:
    @strawberry.mutation(extensions=requires(), description=(
        "Move the account's business time forward (owners; outside production only): renewals and scheduled "
        "changes, active months, quote expiry, webhook retries and export expiry then happen as of that time, "
        "exactly once. Access tokens and sessions keep real time. Audited. userErrors: INVALID_INPUT (production, "
        "a time before the account's clock, or no offset)."))
    async def advance_test_clock(self, info: Info, input: Annotated[AdvanceTestClockInput, strawberry.argument(
            description="The time to move to.")]) -> AccountPayload:
        ctx = info.context
        to = input.to

        async def call():
            return await advance_test_clock(ctx.actor, to, now=ctx.now, production=not ctx.settings.honours_test_clock)

        def moved(row):  # noqa: ANN001, ANN202 - the account row
            # The rest of this response is as of the new time, and says so (X-Casebook-Now).
            ctx.now = row.test_clock or to
            if ctx.request is not None:
                ctx.request.state.business_now = ctx.now
            return {"account": Account.from_model(row)}

        return await mutate(info, AccountPayload, call, moved)
