"""Q5: a refused limit carries the quote that lifts it, stored so it applies in one step."""
from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from domain.billing.changes import apply_subscription_change, cancel_subscription
from domain.billing.models import Quote, Subscription
from domain.core.errors import LiftRequest
from schema.limits import quote_for_lift
from schema.relay import parse_global_id
from tests.support.billing import CATALOG, at, given_account

MAY_10 = "2026-05-10T12:00:00+02:00"


def _info(now: str = MAY_10, actor=None):  # noqa: ANN001
    principal = SimpleNamespace(actor=actor) if actor else None
    return SimpleNamespace(context=SimpleNamespace(now=at(now), catalog=CATALOG, principal=principal))


async def _lines(quote) -> list[tuple]:  # noqa: ANN001
    return [(line.row.change, line.row.from_value, line.row.to_value, line.row.effect)
            for line in await quote.lines(_info())]


async def test_q5_seat_limit_quotes_one_more_seat(db):
    account_id, owner = await given_account("2026-04-15T10:00:00+02:00", seats=3)
    quote = await quote_for_lift(_info(actor=owner), LiftRequest(account_id, seats_delta=1))
    assert await _lines(quote) == [("seats", "3", "4", "now")]
    assert quote.due_now().amount == Decimal("2.50")  # one seat, 15 × 5/30
    # Stored and binding: the owner applies it as it is.
    applied = await apply_subscription_change(owner, parse_global_id(quote.id())[1], "lift-1", now=at(MAY_10))
    assert applied.charged == Decimal("2.50")
    assert (await Subscription.get(account_id=account_id)).seats == 4


async def test_q5_active_client_limit_quotes_the_smallest_tier_that_allows_the_write(db):
    account_id, owner = await given_account("2026-04-15T10:00:00+02:00")
    quote = await quote_for_lift(_info(actor=owner), LiftRequest(account_id, tier="UP_TO_25"))
    assert await _lines(quote) == [("tier", "UP_TO_10", "UP_TO_25", "now")]
    assert quote.due_now().amount == Decimal("2.50")


async def test_q5_no_quote_when_nothing_would_lift_the_limit(db):
    account_id, owner = await given_account("2026-04-15T10:00:00+02:00", tier="UP_TO_75")
    assert await quote_for_lift(_info(actor=owner), None) is None
    assert await quote_for_lift(_info(actor=owner), LiftRequest(account_id, tier="UP_TO_25")) is None  # already above
    await cancel_subscription(owner, now=at(MAY_10), catalog=CATALOG)
    assert await quote_for_lift(_info("2026-05-20T10:00:00+02:00", owner), LiftRequest(account_id, seats_delta=1)) is None
    assert await Quote.filter(account_id=account_id).count() == 0


async def test_q5_an_outsider_hitting_the_limit_gets_no_quote_and_stores_none(db):
    """A contributor from another account writing through a share sees no prices (D4)."""
    account_id, _ = await given_account("2026-04-15T10:00:00+02:00")
    _, outsider = await given_account("2026-04-15T10:00:00+02:00")
    assert await quote_for_lift(_info(actor=outsider), LiftRequest(account_id, tier="UP_TO_25")) is None
    assert await quote_for_lift(_info(), LiftRequest(account_id, tier="UP_TO_25")) is None
    assert await Quote.filter(account_id=account_id).count() == 0
