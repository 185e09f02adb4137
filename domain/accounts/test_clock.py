"""advanceTestClock (O4, API.md "Test clocks"): an owner moves their account's business
time forward, outside production only, never backwards. What follows from the new time
— renewals, scheduled changes, retries that fall due, expired exports — happens as it
would have at that time: on the next read or by the worker (O2), exactly once."""
from __future__ import annotations

from datetime import datetime

from auth import policy
from domain.accounts.models import Account
from domain.audit.service import AuditAction, record
from domain.core import account_clock
from domain.core.actor import Actor
from infra.clock import TEST_CLOCK_YEARS
from infra.db import transaction
from domain.core.errors import InvalidInput


async def advance_test_clock(actor: Actor, to: datetime, *, now: datetime, production: bool) -> Account:
    """Move the acting account's clock to `to`; `now` is the account's business time."""
    account_id = policy.acting_account(actor, "test clock", "advance")
    # The table keeps test clocks out of production (T6); told as the input's mistake (API.md).
    if not policy.may(actor, "test clock", "advance", policy.Facts(account_id, production=production)):
        raise InvalidInput("Test clocks exist outside production only; this account runs on real time.",
                           field=("to",))
    if to.tzinfo is None:
        raise InvalidInput("Give the time with an offset, e.g. 2026-05-10T09:00:00+02:00.", field=("to",))
    if to.year not in TEST_CLOCK_YEARS:
        raise InvalidInput(f"Give a time in the years {TEST_CLOCK_YEARS.start}-{TEST_CLOCK_YEARS.stop - 1}.",
                           field=("to",))
    async with transaction() as conn:
        clock = await account_clock.test_clock(account_id, conn=conn) or now
        if to < clock:
            raise InvalidInput(f"A test clock only moves forward: the account is at {clock.isoformat()}.",
                               field=("to",))
        moved = await account_clock.move_forward(account_id, to, conn=conn)
        if moved != to:  # another request moved it further meanwhile
            raise InvalidInput(f"A test clock only moves forward: the account is at {moved.isoformat()}.",
                               field=("to",))
        await record(AuditAction.TEST_CLOCK_ADVANCED, now=to, account_id=account_id, actor_user_id=actor.user_id,
                     subject=f"account:{account_id}", detail={"from": clock.isoformat(), "to": to.isoformat()})
    return await Account.get(id=account_id)
