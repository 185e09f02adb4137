"""`account(id)` and account/user nodes."""
from __future__ import annotations

from typing import Annotated, Optional

import strawberry

from auth.permissions import requires
from domain.accounts import queries
from schema.accounts.people import Teammate, User
from schema.accounts.types import Account
from schema.context import Info
from schema.nodes import register_node
from schema.relay import parse_global_id


async def _visible_account(info: Info, account_id: int) -> Account | None:
    """Only the account the principal acts in; any other answers null (D4)."""
    actor = info.context.actor
    if actor.account_id != account_id:
        return None
    row = await info.context.loader(queries.accounts_by_id).load(account_id)
    return Account.from_model(row) if row else None


async def _teammate_node(info: Info, pk: int) -> Teammate | None:
    actor = info.context.actor
    if actor.account_id is None:
        return None
    rows = await info.context.loader(queries.memberships_by_account).load(actor.account_id)
    row = next((r for r in rows if r.id == pk), None)
    return Teammate.from_model(row) if row else None


async def _user_node(info: Info, pk: int) -> User | None:
    """Yourself, or a teammate of the account you act in."""
    actor = info.context.actor
    if pk != actor.user_id:
        if actor.account_id is None:
            return None
        rows = await info.context.loader(queries.memberships_by_account).load(actor.account_id)
        if all(r.user_id != pk for r in rows):
            return None
    row = await info.context.loader(queries.users_by_id).load(pk)
    return User.from_model(row) if row else None


register_node("Account", _visible_account)
register_node("Teammate", _teammate_node)
register_node("User", _user_node)


@strawberry.type
class AccountQuery:
    @strawberry.field(extensions=requires(), description="The account the token acts in; null for any other account "
                                                         ", and for guests and operators.")
    async def account(self, info: Info, id: Annotated[Optional[strawberry.ID], strawberry.argument(
            description="The account's global id; the account the token acts in when left out.")] = None
                      ) -> Optional[Account]:
        actor = info.context.actor
        if id is None:
            return await _visible_account(info, actor.account_id) if actor.account_id else None
        parsed = parse_global_id(id)
        if parsed is None or parsed[0] != "Account":
            return None
        return await _visible_account(info, parsed[1])
