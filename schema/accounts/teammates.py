"""Inviting, accepting, re-roling and removing teammates (SPEC §1, S6; API.md)."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Optional

import strawberry

from auth import sessions
from auth.passwords import hash_password
from auth.permissions import public, requires
from auth.rate_limit import rate_limited
from auth.audiences import Audience
from auth.scopes import Scope
from domain.accounts import invitations, teammates
from domain.core.actor import Role as DomainRole
from schema.accounts.auth_types import AuthPayload
from schema.accounts.sessions import _auth_payload, client_of
from schema.accounts.people import Role, Teammate
from schema.context import Info
from schema.errors import UserError, mutate
from schema.relay import from_global_id, to_global_id
from schema.rules import rules


@strawberry.input
class InviteTeammateInput:
    email: str
    role: Role


@strawberry.input
class AcceptInvitationInput:
    token: str
    password: Optional[str] = None
    name: Optional[str] = None


@strawberry.input
class ChangeTeammateRoleInput:
    teammate_id: strawberry.ID
    role: Role


@strawberry.input
class RemoveTeammateInput:
    teammate_id: strawberry.ID


@rules(audience=Audience.TEAM)
@strawberry.type(description="A pending invitation to join the team; it holds a seat until it is accepted, "
                             "withdrawn or expires (S6). The token itself travels only in the mail.")
class TeammateInvitation:
    id: strawberry.ID = strawberry.field(description="The invitation's global id.")
    email: str = strawberry.field(description="The address invited.")
    role: Role = strawberry.field(description="The role they get on accepting.")
    expires_at: datetime = strawberry.field(description="When the invitation lapses.")
    account_id: strawberry.Private[int]


@strawberry.type
class InviteTeammatePayload:
    invitation: Optional[TeammateInvitation] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)
    quote: Optional[Annotated["Quote", strawberry.lazy("schema.billing.types")]] = None


@strawberry.type
class TeammatePayload:
    teammate: Optional[Teammate] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RemoveTeammatePayload:
    removed_teammate_id: Optional[strawberry.ID] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _invitation(row) -> dict:
    return {"invitation": TeammateInvitation(id=strawberry.ID(to_global_id("Invitation", row.id)),
                                             email=row.email, role=Role(row.role), expires_at=row.expires_at,
                                             account_id=row.account_id)}


@strawberry.type
class TeammateMutation:
    @strawberry.mutation(extensions=requires(Scope.TEAMMATES_MANAGE))
    async def invite_teammate(self, info: Info, input: InviteTeammateInput) -> InviteTeammatePayload:
        ctx = info.context
        return await mutate(info, InviteTeammatePayload, lambda: invitations.invite_teammate(
            ctx.actor, input.email, DomainRole(input.role.value), now=ctx.now, catalog=ctx.catalog,
            settings=ctx.settings), _invitation)

    @strawberry.mutation(extensions=public() + rate_limited("acceptInvitation"))
    async def accept_invitation(self, info: Info, input: AcceptInvitationInput) -> AuthPayload:
        ctx = info.context
        signed_in = ctx.principal.actor.user_id if ctx.principal else None

        async def call():
            accepted = await invitations.accept_invitation(
                input.token, now=ctx.now, catalog=ctx.catalog, hash_password=hash_password, password=input.password,
                name=input.name, signed_in_user_id=signed_in)
            # A new teammate's session acts in the account they just joined.
            session = await sessions.start_session(ctx.tokens, accepted.user, security_now=ctx.security_now,
                                                   client=client_of(info), preferred_account_id=accepted.account_id)
            return await _auth_payload(session)

        return await mutate(info, AuthPayload, call, lambda fields: fields)

    @strawberry.mutation(extensions=requires(Scope.TEAMMATES_MANAGE))
    async def change_teammate_role(self, info: Info, input: ChangeTeammateRoleInput) -> TeammatePayload:
        ctx = info.context

        async def call():
            membership_id = from_global_id(input.teammate_id, "Teammate", field="teammateId")
            return await teammates.change_teammate_role(ctx.actor, membership_id, DomainRole(input.role.value),
                                                        now=ctx.now, catalog=ctx.catalog)

        return await mutate(info, TeammatePayload, call, lambda row: {"teammate": Teammate.from_model(row)})

    @strawberry.mutation(extensions=requires(Scope.TEAMMATES_MANAGE))
    async def remove_teammate(self, info: Info, input: RemoveTeammateInput) -> RemoveTeammatePayload:
        ctx = info.context

        async def call():
            membership_id = from_global_id(input.teammate_id, "Teammate", field="teammateId")
            return await teammates.remove_teammate(ctx.actor, membership_id, now=ctx.now, catalog=ctx.catalog)

        return await mutate(info, RemoveTeammatePayload, call, lambda removed_id: {
            "removed_teammate_id": strawberry.ID(to_global_id("Teammate", removed_id))})
