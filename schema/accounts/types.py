"""Accounts as their people see them, and the viewer (`me`). Account data — team,
subscription, usage, ledger, audit log, credentials — is only shown for the account the
token acts in; an account reached through `me.memberships` shows its basics."""
from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Optional

import strawberry

from auth import policy
from auth.permissions import ensure_acting_in, ensure_person, requires
from auth.scopes import Scope
from domain.accounts import queries
from domain.accounts.models import Membership as MembershipRow
from domain.accounts.models import User as UserRow
from domain.core.actor import ActorKind
from domain.identity.queries import sessions_of
from schema.accounts.audit import AuditEvent, audit_page
from schema.accounts.basics import AccountBasics
from schema.accounts.machines import MachineCredential, credentials_of
from schema.accounts.people import Role, Teammate, User
from schema.billing.types import LedgerLine, Subscription, ledger_lines_of, ledger_of, subscription_of
from schema.context import Info
from schema.dossiers.types import Share, shares_of_viewer
from schema.invoices.types import BillingProfile, Invoice, invoices_of
from schema.invoices.types import profile_of as billing_profile_of
from schema.dossiers.usage import ActiveClientUsage, usage_history_of, usage_of
from schema.nodes import Node
from schema.relay import After, Before, Connection, First, Last, page_slice, to_global_id
from schema.viewer_can import AccountCapabilities, account_capabilities
from schema.webhooks.types import WebhookEndpoint, endpoints_of


@strawberry.enum(description="What kind of principal a token acts as.")
class PrincipalKind(Enum):
    PAID = strawberry.enum_value("PAID", description="A teammate of an account, acting in one of them (also a "
                                                     "partner system's machine credential).")
    GUEST = strawberry.enum_value("GUEST", description="A person without a seat who reads what is shared with "
                                                       "them.")
    OPERATOR = strawberry.enum_value("OPERATOR", description="Staff of the service: billing only, never dossier "
                                                             "content.")


@strawberry.type(description="An organisation (tenant): its dossiers, teammates and subscription.")
class Account(AccountBasics, Node):
    @strawberry.field(description="What the viewer may do in this account: answered by the "
                                  "same rules that guard the operations; all false for an account the token does "
                                  "not act in.")
    async def viewer_can(self, info: Info) -> AccountCapabilities:
        return await account_capabilities(info.context, self.pk)

    @strawberry.field(description="The account's teammates, oldest first. People acting in this account only.")
    async def teammates(self, info: Info) -> list[Teammate]:
        ensure_person(info.context.principal)
        ensure_acting_in(info.context.principal, self.pk)
        rows = await info.context.loader(queries.memberships_by_account).load(self.pk)
        return [Teammate.from_model(row) for row in rows]

    @strawberry.field(extensions=requires(Scope.AUDIT_READ),
                      description="Security-relevant events, newest first. Owners and admins.")
    async def audit_log(self, info: Info, first: First = None, after: After = None, last: Last = None,
                        before: Before = None) -> Connection[AuditEvent]:
        ensure_acting_in(info.context.principal, self.pk)
        return await audit_page(info, self.pk, first, after, last, before)

    @strawberry.field(description="The subscription as of now: renewals and scheduled changes that are due "
                                  "are applied first.")
    async def subscription(self, info: Info) -> Subscription:
        ensure_person(info.context.principal)
        ensure_acting_in(info.context.principal, self.pk)
        return await subscription_of(info, self.pk)

    @strawberry.field(description="Active clients in a month.")
    async def usage(self, info: Info,
                    month: Annotated[Optional[str], strawberry.argument(
                        description="\"YYYY-MM\"; this month when left out.")] = None) -> ActiveClientUsage:
        ensure_person(info.context.principal)
        ensure_acting_in(info.context.principal, self.pk)
        return await usage_of(info, self.row, month)

    @strawberry.field(description="This month and the ones before it, newest first (past months' counts).")
    async def usage_history(self, info: Info,
                            last: Annotated[int, strawberry.argument(description="How many months, 1 to 36.")] = 12
                            ) -> list[ActiveClientUsage]:
        ensure_person(info.context.principal)
        ensure_acting_in(info.context.principal, self.pk)
        return await usage_history_of(info, self.row, last)

    @strawberry.field(extensions=requires(Scope.TEAMMATES_MANAGE),
                      description="Partner systems' machine credentials. Owners and admins.")
    async def machine_credentials(self, info: Info) -> list[MachineCredential]:
        ensure_acting_in(info.context.principal, self.pk)
        return await credentials_of(info, self.pk)

    @strawberry.field(extensions=requires(Scope.BILLING_MANAGE),
                      description="Every charge, oldest first. Owners.",
                      deprecation_reason="Use `ledgerLines`, which pages.")
    async def ledger(self, info: Info) -> list[LedgerLine]:
        ensure_acting_in(info.context.principal, self.pk)
        return await ledger_of(info, self.pk)

    @strawberry.field(extensions=requires(Scope.BILLING_MANAGE),
                      description="Every charge, oldest first, a page at a time (a Relay connection). Owners.")
    async def ledger_lines(self, info: Info, first: First = None, after: After = None, last: Last = None,
                           before: Before = None) -> Connection[LedgerLine]:
        ensure_acting_in(info.context.principal, self.pk)
        return await ledger_lines_of(info, self.pk, page_slice(first, after, last, before))

    @strawberry.field(description="Who the account's invoices are addressed to, and what is still missing. "
                                  "Owners and admins.")
    async def billing_profile(self, info: Info) -> BillingProfile:
        return await billing_profile_of(info, self.pk)

    @strawberry.field(description="The account's invoices and credit notes, oldest first. Owners and admins.")
    async def invoices(self, info: Info, first: First = None, after: After = None, last: Last = None,
                       before: Before = None) -> Connection[Invoice]:
        return await invoices_of(info, self.pk, page_slice(first, after, last, before))

    @strawberry.field(extensions=requires(Scope.WEBHOOKS_MANAGE),
                      description="Endpoints subscribed to the account's events. Owners, admins, and machine "
                                  "credentials holding webhooks:manage.")
    async def webhook_endpoints(self, info: Info) -> list[WebhookEndpoint]:
        ensure_acting_in(info.context.principal, self.pk)
        return await endpoints_of(info, self.pk)

    @strawberry.field(description="The account's business time outside production (its test clock): the latest "
                                  "time given by a request acting in it with X-Casebook-Now or by advanceTestClock. "
                                  "Renewals, retries and expiries happen as of it. Null in production and for an "
                                  "account that has never been given one (it runs on real time).")
    def test_clock(self, info: Info) -> Optional[datetime]:
        principal = info.context.principal
        if not info.context.settings.honours_test_clock or principal is None or \
                principal.actor.account_id != self.pk:
            return None
        return self.row.test_clock


@strawberry.type(description="One of the viewer's accounts and their role in it.")
class Membership:
    role: Role = strawberry.field(description="The viewer's role in that account.")
    account_id: strawberry.Private[int]

    @strawberry.field(description="The account (its data only while the token acts in it; `switchAccount`).")
    async def account(self, info: Info) -> Account:
        return Account.from_model(await info.context.loader(queries.accounts_by_id).load(self.account_id))

    @classmethod
    def from_model(cls, row: MembershipRow) -> "Membership":
        return cls(role=Role(row.role), account_id=row.account_id)


@strawberry.type(description="A sign-in: one refresh-token chain and the access tokens it gave.")
class Session(Node):
    id: strawberry.ID = strawberry.field(description="The session's global id.")
    created_at: datetime = strawberry.field(description="When the person signed in.")
    last_used_at: datetime = strawberry.field(
        description="The last sign-in or token refresh: as precise as the access-token lifetime.")
    client: Optional[str] = strawberry.field(
        description="A short summary of the client that signed in, e.g. \"Firefox 126 on Windows\".")
    current: bool = strawberry.field(description="Whether this is the session the request's access token belongs to.")

    @classmethod
    def from_model(cls, row, current_id: Optional[int]) -> "Session":  # noqa: ANN001 - a UserSession row
        return cls(id=strawberry.ID(to_global_id("Session", row.id)), created_at=row.created_at,
                   last_used_at=row.last_used_at, client=row.client, current=row.id == current_id)


@strawberry.type(description="Who is asking: the signed-in person and where they act.")
class Viewer:
    user: User = strawberry.field(description="The person (for a machine credential: its service user).")
    kind: PrincipalKind = strawberry.field(description="The kind of principal the token acts as.")
    user_row: strawberry.Private[UserRow]
    account_id: strawberry.Private[Optional[int]]
    session_id: strawberry.Private[Optional[int]] = None

    @strawberry.field(description="The account the token acts in; null for guests and operators.")
    async def account(self, info: Info) -> Optional[Account]:
        if self.account_id is None:
            return None
        return Account.from_model(await info.context.loader(queries.accounts_by_id).load(self.account_id))

    @strawberry.field(description="Every account the person is a teammate of.")
    async def memberships(self, info: Info) -> list[Membership]:
        rows = await info.context.loader(queries.memberships_by_user).load(self.user_row.id)
        return [Membership.from_model(row) for row in rows]

    @strawberry.field(description="The live shares given to the person, in the order they were given.")
    async def shares(self, info: Info) -> list[Share]:
        return await shares_of_viewer(info, self.user_row)

    @strawberry.field(description="The person's live sessions, newest first.")
    async def sessions(self, info: Info) -> list[Session]:
        if not policy.may(info.context.principal, "session", "manage"):
            return []  # a machine credential signs in with no session (T4)
        rows = await sessions_of(self.user_row.id, security_now=info.context.security_now)
        return [Session.from_model(row, self.session_id) for row in rows]

    @classmethod
    def of(cls, user: UserRow, kind: ActorKind, account_id: Optional[int], *,
           session_id: Optional[int] = None) -> "Viewer":
        return cls(user=User.from_model(user, viewer_own=True), kind=PrincipalKind[kind.name], user_row=user,
                   account_id=account_id, session_id=session_id)
