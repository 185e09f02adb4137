"""Which active-client tier an account had, when (A6: a past month shows the cap that
month had, not today's). Every tier change is recorded with the day it took effect;
the tier of a day is the last change on or before it."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Sequence

from domain.billing.models import TierChange
from domain.core.batching import grouped
from infra.clock import next_month_start

SIGN_UP, QUOTE, RENEWAL = "sign_up", "quote", "renewal"


async def record_tier(account_id: int, tier: str, *, effective_on: date, cause: str, now: datetime) -> None:
    """Call under the subscription lock, in the transaction that changes the tier."""
    await TierChange.create(account_id=account_id, tier=tier, effective_on=effective_on, cause=cause,
                            created_at=now)


async def tier_histories(account_ids: Sequence[int]) -> list[list[TierChange]]:
    """DataLoader batch: each account's tier changes, oldest first."""
    rows = await TierChange.filter(account_id__in=list(account_ids)).order_by("effective_on", "id")
    return grouped(rows, account_ids, lambda row: row.account_id)


def tier_on(history: Sequence[TierChange], day: date) -> str | None:
    """The tier in force on `day`; before the first change, the first tier the account had
    (None without any history)."""
    tier = history[0].tier if history else None
    for change in history:
        if change.effective_on > day:
            break
        tier = change.tier
    return tier


def tier_of_month(history: Sequence[TierChange], month: str, *, this_month: str, current_tier: str) -> str:
    """The tier a month's usage is measured against: the one in force at the end of a past
    month (a decrease mid-month caps the rest of it, S5), today's for this month and later."""
    if month >= this_month:
        return current_tier
    return tier_on(history, next_month_start(month) - timedelta(days=1)) or current_tier
