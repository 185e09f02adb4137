"""Q5: a refused limit carries the quote that lifts it, stored so it applies in one step,
and only for the account's own people acting in it."""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from domain.billing.changes import apply_subscription_change, cancel_subscription
from domain.billing.models import Quote, Subscription
from domain.billing.terms import lift_quote, may_see_prices
from domain.core.actor import Actor, ActorKind
from domain.core.errors import LiftRequest
from tests.support.billing import CATALOG, at, given_account

MAY_10 = "2026-05-10T12:00:00+02:00"


def _lines(stored) -> list[tuple]:  # noqa: ANN001
    return [(line.change, line.from_value, line.to_value, line.effect) for line in stored.lines]


async def test_q5_seat_limit_quotes_one_more_seat(db):
    account_id, owner = await given_account("2026-04-15T10:00:00+02:00", seats=3)
    stored = await lift_quote(owner, LiftRequest(account_id, seats_delta=1), now=at(MAY_10), catalog=CATALOG)
    assert _lines(stored) == [("seats", "3", "4", "now")]
    assert stored.quote.due_now == Decimal("2.50")  # one seat, 15 × 5/30
    # Stored and binding: the owner applies it as it is.
    applied = await apply_subscription_change(owner, stored.quote.id, "lift-1", now=at(MAY_10), catalog=CATALOG)
    assert applied.charged == Decimal("2.50")
    assert (await Subscription.get(account_id=account_id)).seats == 4


async def test_q5_active_client_limit_quotes_the_smallest_tier_that_allows_the_write(db):
    account_id, owner = await given_account("2026-04-15T10:00:00+02:00")
    stored = await lift_quote(owner, LiftRequest(account_id, tier="UP_TO_25"), now=at(MAY_10), catalog=CATALOG)
    assert _lines(stored) == [("tier", "UP_TO_10", "UP_TO_25", "now")]
    assert stored.quote.due_now == Decimal("2.50")


async def test_q5_no_quote_when_nothing_would_lift_the_limit(db):
    account_id, owner = await given_account("2026-04-15T10:00:00+02:00", tier="UP_TO_75")
    assert await lift_quote(owner, None, now=at(MAY_10), catalog=CATALOG) is None
    already_above = LiftRequest(account_id, tier="UP_TO_25")
    assert await lift_quote(owner, already_above, now=at(MAY_10), catalog=CATALOG) is None
    await cancel_subscription(owner, now=at(MAY_10), catalog=CATALOG)
    ended = at("2026-05-20T10:00:00+02:00")
    assert await lift_quote(owner, LiftRequest(account_id, seats_delta=1), now=ended, catalog=CATALOG) is None
    assert await Quote.filter(account_id=account_id).count() == 0


async def test_q5_only_the_accounts_own_people_acting_in_it_see_prices(db):
    """An outsider writing through a share, a guest, a partner system's machine
    credential (T4) and nobody at all get no quote, and none is stored."""
    account_id, owner = await given_account("2026-04-15T10:00:00+02:00")
    _, outsider = await given_account("2026-04-15T10:00:00+02:00")
    machine = replace(owner, machine=True)
    guest = Actor(owner.user_id, owner.email, ActorKind.GUEST)
    lift = LiftRequest(account_id, tier="UP_TO_25")
    for who in (outsider, machine, guest, None):
        assert not may_see_prices(who, account_id)
        assert await lift_quote(who, lift, now=at(MAY_10), catalog=CATALOG) is None
    assert await Quote.filter(account_id=account_id).count() == 0
    assert may_see_prices(owner, account_id)
