"""Batch reads for billing types (DataLoader batch functions: keys in, rows out in key
order), and the operators' list of accounts. The subscription itself is read through
`domain.billing.terms`, as of now."""
from __future__ import annotations

from typing import Sequence

from domain.accounts.models import Account, Membership
from domain.core.paging import Slice, filter_by_id, in_order
from domain.billing.models import AccountDiscount, LedgerLine, Quote, QuoteLine, ScheduledChange
from domain.core.batching import by_key, grouped


async def discounts_by_account(account_ids: Sequence[int]) -> list[list[AccountDiscount]]:
    """Granted and not removed; whether one is still in force depends on the day."""
    rows = await AccountDiscount.filter(account_id__in=list(account_ids), removed_at__isnull=True).order_by("id")
    return grouped(rows, account_ids, lambda row: row.account_id)


async def scheduled_by_account(account_ids: Sequence[int]) -> list[list[ScheduledChange]]:
    rows = await ScheduledChange.filter(account_id__in=list(account_ids)).order_by("id")
    return grouped(rows, account_ids, lambda row: row.account_id)


async def seats_used_by_account(account_ids: Sequence[int]) -> list[int]:
    rows = await Membership.filter(account_id__in=list(account_ids)).values_list("account_id", flat=True)
    counts: dict[int, int] = {}
    for account_id in rows:
        counts[account_id] = counts.get(account_id, 0) + 1
    return [counts.get(account_id, 0) for account_id in account_ids]


async def ledger_by_account(account_ids: Sequence[int]) -> list[list[LedgerLine]]:
    rows = await LedgerLine.filter(account_id__in=list(account_ids)).order_by("id")
    return grouped(rows, account_ids, lambda row: row.account_id)


async def ledger_page(account_id: int, wanted: Slice) -> tuple[list[LedgerLine], bool]:
    """One page of the account's charges, oldest first, keyset by id (along the
    (account_id, id) index); whether more lie beyond it in the direction of travel."""
    return in_order(await filter_by_id(LedgerLine.filter(account_id=account_id), wanted, newest_first=False), wanted)


async def ledger_count(account_id: int) -> int:
    return await LedgerLine.filter(account_id=account_id).count()


async def quotes_by_id(ids: Sequence[int]) -> list[Quote | None]:
    return by_key(await Quote.filter(id__in=list(ids)), ids)


async def quote_lines_by_quote(quote_ids: Sequence[int]) -> list[list[QuoteLine]]:
    rows = await QuoteLine.filter(quote_id__in=list(quote_ids)).order_by("quote_id", "position")
    return grouped(rows, quote_ids, lambda row: row.quote_id)


async def accounts_page(wanted: Slice, *, name_contains: str | None) -> tuple[list[Account], bool]:
    """Operators' list, oldest first; keyset pagination by id."""
    query = Account.filter(name__icontains=name_contains) if name_contains else Account.all()
    return in_order(await filter_by_id(query, wanted, newest_first=False), wanted)


async def accounts_count(*, name_contains: str | None) -> int:
    return await (Account.filter(name__icontains=name_contains) if name_contains else Account.all()).count()
