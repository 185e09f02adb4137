"""GraphQL types of people and accounts. Built from models by `from_model`; relations
go through DataLoaders."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Optional

import strawberry

from auth.permissions import ensure_acting_in, ensure_person, requires
from auth.scopes import Scope
from domain.accounts import queries
from domain.accounts.models import Account as AccountRow
from domain.accounts.models import Membership as MembershipRow
from domain.accounts.models import User as UserRow
from domain.core.actor import ActorKind
from domain.core.actor import Role as DomainRole
from schema.context import Info
from schema.relay import Connection, to_global_id

if TYPE_CHECKING:
    from schema.accounts.machines import MachineCredential
    from schema.billing.types import LedgerLine, Subscription
    from schema.dossiers.types import ActiveClientUsage
    from schema.shares.types import Share

Role = strawberry.enum(DomainRole, name="Role")


PrincipalKind = strawberry.enum(ActorKind, name="PrincipalKind")


@strawberry.interface
class Node:
    id: strawberry.ID


@strawberry.type
class User(Node):
    row: strawberry.Private[UserRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("User", self.row.id))

    @strawberry.field
    def email(self) -> str:
        return self.row.email

    @strawberry.field
    def name(self) -> str:
        return self.row.name

    @strawberry.field(description="Whether a mailed token has proven this address (SPEC I1).")
    def email_verified(self) -> bool:
        return self.row.email_verified

    @strawberry.field(description="Whether signing in needs a one-time code (SPEC I5).")
    def two_factor_enabled(self) -> bool:
        return self.row.two_factor_enabled

    @classmethod
    def from_model(cls, row: UserRow) -> "User":
        return cls(row=row)


@strawberry.type(description="A sign-in (SPEC I4): one refresh-token chain and the access tokens it gave.")
class Session(Node):
    row: strawberry.Private[object]
    current_id: strawberry.Private[Optional[int]]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Session", self.row.id))

    @strawberry.field(description="When the person signed in.")
    def created_at(self) -> datetime:
        return self.row.created_at

    @strawberry.field(description="The last sign-in or token refresh: as precise as the access-token lifetime.")
    def last_used_at(self) -> datetime:
        return self.row.last_used_at

    @strawberry.field(description="A short summary of the client that signed in, e.g. \"Firefox 126 on Windows\".")
    def client(self) -> Optional[str]:
        return self.row.client

    @strawberry.field(description="Whether this is the session the request's access token belongs to.")
    def current(self) -> bool:
        return self.row.id == self.current_id


@strawberry.type
class Teammate(Node):
    row: strawberry.Private[MembershipRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Teammate", self.row.id))

    @strawberry.field
    async def user(self, info: Info) -> User:
        return User.from_model(await info.context.loader(queries.users_by_id).load(self.row.user_id))

    @strawberry.field
    def role(self) -> Role:
        return DomainRole(self.row.role)

    @strawberry.field
    def added_at(self) -> datetime:
        return self.row.created_at

    @classmethod
    def from_model(cls, row: MembershipRow) -> "Teammate":
        return cls(row=row)


@strawberry.type
class AuditEvent:
    row: strawberry.Private[object]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("AuditEvent", self.row.id))

    @strawberry.field
    def action(self) -> str:
        return self.row.action

    @strawberry.field
    def subject(self) -> str | None:
        return self.row.subject

    @strawberry.field
    def actor_user_id(self) -> strawberry.ID | None:
        return strawberry.ID(to_global_id("User", self.row.actor_user_id)) if self.row.actor_user_id else None

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row.created_at


@strawberry.type
class AccountBasics:
    """What every view of an account shows: its id, name, zone and currency. Shared by
    `Account` and the operators' billing-only view (P3)."""

    row: strawberry.Private[AccountRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Account", self.row.id))

    @strawberry.field
    def name(self) -> str:
        return self.row.name

    @strawberry.field
    def time_zone(self) -> str:
        return self.row.time_zone

    @strawberry.field
    def currency(self) -> str:
        return self.row.currency

    @strawberry.field(description="Every teammate must sign in with two factors to act in this account (SPEC I5).")
    def require_two_factor(self) -> bool:
        return self.row.require_two_factor


@strawberry.type
class Account(AccountBasics, Node):

    @strawberry.field
    async def teammates(self, info: Info) -> list[Teammate]:
        ensure_person(info.context.principal)
        rows = await info.context.loader(queries.memberships_by_account).load(self.row.id)
        return [Teammate.from_model(row) for row in rows]

    @strawberry.field(extensions=requires(Scope.AUDIT_READ))
    async def audit_log(self, info: Info, first: Optional[int] = None,
                        after: Optional[str] = None) -> Connection[AuditEvent]:
        ensure_acting_in(info.context.principal, self.row.id)
        from schema.accounts.audit import audit_page

        return await audit_page(info, self.row.id, first, after)

    @strawberry.field
    async def subscription(self, info: Info) -> Annotated["Subscription", strawberry.lazy("schema.billing.types")]:
        ensure_person(info.context.principal)
        from schema.billing.types import subscription_of

        return await subscription_of(info, self.row.id)

    @strawberry.field
    async def usage(self, info: Info, month: Optional[str] = None) -> Annotated["ActiveClientUsage", strawberry.lazy("schema.dossiers.types")]:
        ensure_person(info.context.principal)
        from schema.dossiers.types import usage_of

        return await usage_of(info, self.row, month)

    @strawberry.field
    async def usage_history(self, info: Info, last: int = 12) -> list[Annotated["ActiveClientUsage", strawberry.lazy("schema.dossiers.types")]]:
        """This month and the ones before it, newest first (A6: past months' counts)."""
        ensure_person(info.context.principal)
        from schema.dossiers.types import usage_history_of

        return await usage_history_of(info, self.row, last)

    @strawberry.field(extensions=requires(Scope.TEAMMATES_MANAGE))
    async def machine_credentials(self, info: Info) -> list[Annotated["MachineCredential", strawberry.lazy("schema.accounts.machines")]]:
        ensure_acting_in(info.context.principal, self.row.id)
        from schema.accounts.machines import credentials_of

        return await credentials_of(info, self.row.id)

    @strawberry.field(extensions=requires(Scope.BILLING_MANAGE))
    async def ledger(self, info: Info) -> list[Annotated["LedgerLine", strawberry.lazy("schema.billing.types")]]:
        ensure_acting_in(info.context.principal, self.row.id)
        from schema.billing.types import ledger_of

        return await ledger_of(info, self.row.id)

    @classmethod
    def from_model(cls, row: AccountRow) -> "Account":
        return cls(row=row)


@strawberry.type
class Membership:
    row: strawberry.Private[MembershipRow]

    @strawberry.field
    async def account(self, info: Info) -> Account:
        return Account.from_model(await info.context.loader(queries.accounts_by_id).load(self.row.account_id))

    @strawberry.field
    def role(self) -> Role:
        return DomainRole(self.row.role)


@strawberry.type
class Viewer:
    user_row: strawberry.Private[UserRow]
    account_id: strawberry.Private[Optional[int]]
    principal_kind: strawberry.Private[str]
    session_id: strawberry.Private[Optional[int]] = None

    @strawberry.field
    def user(self) -> User:
        return User.from_model(self.user_row)

    @strawberry.field
    def kind(self) -> PrincipalKind:
        return ActorKind(self.principal_kind)

    @strawberry.field
    async def account(self, info: Info) -> Optional[Account]:
        if self.account_id is None:
            return None
        return Account.from_model(await info.context.loader(queries.accounts_by_id).load(self.account_id))

    @strawberry.field
    async def memberships(self, info: Info) -> list[Membership]:
        rows = await info.context.loader(queries.memberships_by_user).load(self.user_row.id)
        return [Membership(row=row) for row in rows]

    @strawberry.field
    async def shares(self, info: Info) -> list[Annotated["Share", strawberry.lazy("schema.shares.types")]]:
        from schema.shares.types import shares_of_viewer

        return await shares_of_viewer(info, self.user_row)

    @strawberry.field(description="The person's live sessions, newest first (SPEC I4).")
    async def sessions(self, info: Info) -> list[Session]:
        from auth.sessions import sessions_of

        rows = await sessions_of(self.user_row.id, security_now=info.context.security_now)
        return [Session(row=row, current_id=self.session_id) for row in rows]
