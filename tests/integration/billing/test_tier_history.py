"""The tier history behind A6 (migration 0013): written by every tier change, and
backfilled for subscriptions that existed before it from the periods and applied quotes
the billing tables already hold."""
from __future__ import annotations

from datetime import date

from tortoise import connections

from domain.billing.changes import apply_subscription_change
from domain.billing.models import TierChange
from domain.billing.quotes import ChangeRequest, quote_subscription_change
from domain.billing.renewal import renew_due
from domain.billing.tiers import tier_on
from infra.db import dialect, execute
from migrations.runner import available, statements
from tests.support.billing import CATALOG, at, given_account


async def _change(actor, now: str, **change) -> None:  # noqa: ANN001
    stored = await quote_subscription_change(actor, ChangeRequest(**change), now=at(now), catalog=CATALOG)
    await apply_subscription_change(actor, stored.quote.id, f"k-{stored.quote.id}", now=at(now), catalog=CATALOG)


async def _history(account_id: int) -> list[tuple[str, date]]:
    return [(row.tier, row.effective_on)
            for row in await TierChange.filter(account_id=account_id).order_by("effective_on", "id")]


async def _backfill() -> None:
    conn = connections.get("default")
    [migration] = [m for m in available(dialect(conn)) if m.version == 13]
    backfill = [sql for sql in statements(migration.sql) if sql.lstrip().upper().startswith("INSERT")]
    assert len(backfill) == 1
    await execute(conn, backfill[0])


async def test_a6_the_backfill_rebuilds_the_history_the_services_write(db):
    account_id, owner = await given_account("2026-01-31T10:00:00+01:00", tier="UP_TO_25")
    await _change(owner, "2026-02-10T10:00:00+01:00", tier="UP_TO_75")       # at once
    await _change(owner, "2026-02-11T10:00:00+01:00", seats=2)              # no tier line
    await _change(owner, "2026-03-05T10:00:00+01:00", tier="UP_TO_10")       # at the 31 March renewal
    await renew_due(CATALOG, now=at("2026-04-02T10:00:00+02:00"))
    other_id, _ = await given_account("2026-03-01T10:00:00+01:00")
    written = {account: await _history(account) for account in (account_id, other_id)}
    assert written[account_id] == [("UP_TO_25", date(2026, 1, 31)), ("UP_TO_75", date(2026, 2, 10)),
                                   ("UP_TO_10", date(2026, 3, 31))]

    await TierChange.all().delete()
    await _backfill()
    assert {account: await _history(account) for account in (account_id, other_id)} == written


def test_a6_the_tier_of_a_day_is_the_last_change_on_or_before_it():
    history = [TierChange(tier="UP_TO_25", effective_on=date(2026, 4, 15)),
               TierChange(tier="UP_TO_75", effective_on=date(2026, 5, 10)),
               TierChange(tier="UP_TO_10", effective_on=date(2026, 5, 10))]
    assert tier_on(history, date(2026, 4, 1)) == "UP_TO_25"   # before the first: the first
    assert tier_on(history, date(2026, 5, 9)) == "UP_TO_25"
    assert tier_on(history, date(2026, 5, 10)) == "UP_TO_10"  # the same day: the later change
    assert tier_on([], date(2026, 5, 10)) is None
