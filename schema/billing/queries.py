"""`catalog` (public) and the operators' billing view of accounts (P3): name, zone,
subscription and ledger — nothing of dossiers or teammates' work."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import strawberry

from auth.permissions import public, requires
from auth.scopes import Scope
from domain.accounts import queries as account_queries
from domain.accounts.models import Account as AccountRow
from domain.billing import queries
from schema.accounts.basics import AccountBasics
from schema.billing.types import Catalog, LedgerLine, Subscription, ledger_of, subscription_of
from schema.context import Info
from schema.relay import Connection, cursor_id, decode_cursor, encode_cursor, page_size, parse_global_id


@strawberry.type(description="An account as operators see it: billing data only (P3).")
class OperatorAccount(AccountBasics):
    @strawberry.field
    def created_at(self) -> datetime:
        return self.row.created_at

    @strawberry.field
    async def subscription(self, info: Info) -> Subscription:
        return await subscription_of(info, self.pk)

    @strawberry.field
    async def ledger(self, info: Info) -> list[LedgerLine]:
        return await ledger_of(info, self.pk)


async def operator_account(info: Info, global_id: str) -> OperatorAccount | None:
    parsed = parse_global_id(global_id)
    if parsed is None or parsed[0] != "Account":
        return None
    row = await info.context.loader(account_queries.accounts_by_id).load(parsed[1])
    return OperatorAccount.from_model(row) if row else None


@strawberry.type
class BillingQuery:
    @strawberry.field(extensions=public())
    def catalog(self, info: Info) -> Catalog:
        return Catalog.from_data(info.context.catalog)

    @strawberry.field(extensions=requires(Scope.BILLING_OPERATE))
    async def operator_account(self, info: Info, id: strawberry.ID) -> Optional[OperatorAccount]:
        return await operator_account(info, id)

    @strawberry.field(extensions=requires(Scope.BILLING_OPERATE))
    async def operator_accounts(self, info: Info, first: Optional[int] = None, after: Optional[str] = None,
                                name_contains: Optional[str] = None) -> Connection[OperatorAccount]:
        size = page_size(first)
        after_id = cursor_id(decode_cursor(after))
        rows, has_next = await queries.accounts_page(first=size, after_id=after_id,
                                                     name_contains=(name_contains or "").strip()[:200] or None)
        return Connection[OperatorAccount].build([OperatorAccount.from_model(row) for row in rows],
                                                 [encode_cursor(row.id) for row in rows], has_next)
