"""Batch reads for people and accounts (DataLoader batch functions: keys in, rows out in
the same order)."""
from __future__ import annotations

from typing import Sequence

from tortoise import connections

from domain.accounts.models import Account, Membership, User
from domain.core.batching import by_key, grouped
from infra.db import execute, placeholders


async def users_by_id(ids: Sequence[int]) -> list[User | None]:
    return by_key(await User.filter(id__in=list(ids)), ids)


# Every column, read with plain SQL and built into models as the ORM builds what it
# selects: one dossier asks for its account (its zone), and building tortoise's query
# cost more than running it.
_ACCOUNT_COLUMNS = ", ".join(f'"{column}"' for column in sorted(Account._meta.db_fields))


async def accounts_by_id(ids: Sequence[int]) -> list[Account | None]:
    keys = list(ids)
    marks = placeholders(1, len(keys))
    _, rows = await execute(connections.get("default"),
                            f'SELECT {_ACCOUNT_COLUMNS} FROM "account" WHERE "id" IN ({marks})', keys)
    return by_key([Account._init_from_db(**row) for row in rows], ids)


async def memberships_by_account(account_ids: Sequence[int]) -> list[list[Membership]]:
    """Each account's teammates, oldest first, with their users joined in."""
    rows = await Membership.filter(account_id__in=list(account_ids)).select_related("user").order_by("created_at", "id")
    return grouped(rows, account_ids, lambda row: row.account_id)


async def memberships_by_user(user_ids: Sequence[int]) -> list[list[Membership]]:
    rows = await Membership.filter(user_id__in=list(user_ids)).order_by("created_at", "id")
    return grouped(rows, user_ids, lambda row: row.user_id)
