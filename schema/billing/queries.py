"""`catalog` (public) and the operators' billing view of accounts (P3): name, zone,
subscription and ledger — nothing of dossiers or teammates' work."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Optional

import strawberry

from auth.permissions import public, requires
from auth.scopes import Scope
from domain.accounts import queries as account_queries
from domain.accounts.models import Account as AccountRow
from domain.billing import queries
from schema.accounts.basics import AccountBasics
from schema.billing.types import Catalog, LedgerLine, Subscription, ledger_of, subscription_of
from schema.context import Info
from schema.relay import After, Before, Connection, First, Last, encode_cursor, page_slice, parse_global_id
from schema.invoices.types import BillingProfile, Invoice, invoices_of
from schema.invoices.types import profile_of as billing_profile_of


@strawberry.type(description="An account as operators see it: billing data only.")
class OperatorAccount(AccountBasics):
    @strawberry.field(description="When the account was made (signed up).")
    def created_at(self) -> datetime:
        return self.row.created_at

    @strawberry.field(description="Its subscription as of now.")
    async def subscription(self, info: Info) -> Subscription:
        return await subscription_of(info, self.pk)

    @strawberry.field(description="Every charge, oldest first.")
    async def ledger(self, info: Info) -> list[LedgerLine]:
        return await ledger_of(info, self.pk)

    @strawberry.field(description="Who its invoices are addressed to.")
    async def billing_profile(self, info: Info) -> BillingProfile:
        return await billing_profile_of(info, self.pk)

    @strawberry.field(description="Its invoices and credit notes, oldest first.")
    async def invoices(self, info: Info, first: First = None, after: After = None, last: Last = None,
                       before: Before = None) -> Connection[Invoice]:
        return await invoices_of(info, self.pk, page_slice(first, after, last, before))


async def operator_account(info: Info, global_id: str) -> OperatorAccount | None:
    parsed = parse_global_id(global_id)
    if parsed is None or parsed[0] != "Account":
        return None
    row = await info.context.loader(account_queries.accounts_by_id).load(parsed[1])
    return OperatorAccount.from_model(row) if row else None


@strawberry.type
class BillingQuery:
    @strawberry.field(extensions=public(), description="The price list: plans, terms and tiers. Public: it "
                                                        "works without a token.")
    def catalog(self, info: Info) -> Catalog:
        return Catalog.from_data(info.context.catalog)

    @strawberry.field(extensions=requires(Scope.BILLING_OPERATE),
                      description="One account as operators see it: billing data only. Operators "
                                  "(billing:operate); null when there is no such account.")
    async def operator_account(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(
            description="The account's global id.")]) -> Optional[OperatorAccount]:
        return await operator_account(info, id)

    @strawberry.field(extensions=requires(Scope.BILLING_OPERATE),
                      description="Every account, oldest first, as operators see them. Operators "
                                  "(billing:operate).")
    async def operator_accounts(self, info: Info, first: First = None, after: After = None, last: Last = None,
                                before: Before = None,
                                name_contains: Annotated[Optional[str], strawberry.argument(
                                    description="Only accounts whose name contains this, in any case (trimmed; the "
                                                "first 200 characters count).")] = None
                                ) -> Connection[OperatorAccount]:
        wanted = page_slice(first, after, last, before)
        contains = (name_contains or "").strip()[:200] or None
        rows, more = await queries.accounts_page(wanted, name_contains=contains)
        return Connection[OperatorAccount].of([OperatorAccount.from_model(row) for row in rows],
                                              [encode_cursor(row.id) for row in rows], wanted, more,
                                              lambda: queries.accounts_count(name_contains=contains))
