"""Inviting, accepting, re-roling and removing teammates (SPEC §1, S6; API.md)."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Optional

import strawberry

from auth.permissions import public, requires
from auth.rate_limit import rate_limited
from auth.audiences import Audience
from auth.scopes import Scope
from domain.team import invitations, teammates
from domain.core.actor import Role as DomainRole
from schema.accounts.auth_types import AuthPayload
from schema.accounts.sessions import client_of, signed_in
from schema.accounts.people import Role, Teammate
from schema.context import Info
from schema.errors import UserError, mutate
from schema.relay import from_global_id, to_global_id
from schema.rules import rules


@strawberry.input(description="Who to invite to the team, and as what.")
class InviteTeammateInput:
    email: str = strawberry.field(description="Their email address.")
    role: Role = strawberry.field(description="The role they get on accepting; OWNER only when an owner invites.")


@strawberry.input(description="The invitation's token; a person without a login also sets a password and name.")
class AcceptInvitationInput:
    token: str = strawberry.field(description="The token of the mail's link (its `token` query parameter).")
    password: Optional[str] = strawberry.field(default=None, description="For a person without a login: the "
                                                                         "password to create it (the rules of "
                                                                         "signUp). Left out when signed in.")
    name: Optional[str] = strawberry.field(default=None, description="For a person without a login: their name, at "
                                                                     "most 200 characters.")


@strawberry.input(description="A teammate and their new role.")
class ChangeTeammateRoleInput:
    teammate_id: strawberry.ID = strawberry.field(description="The teammate's global id (Teammate.id, not the "
                                                              "user's).")
    role: Role = strawberry.field(description="The new role.")


@strawberry.input(description="The teammate to remove.")
class RemoveTeammateInput:
    teammate_id: strawberry.ID = strawberry.field(description="The teammate's global id (Teammate.id, not the "
                                                              "user's).")


@rules(audience=Audience.TEAM)
@strawberry.type(description="A pending invitation to join the team; it holds a seat until it is accepted, "
                             "withdrawn or expires. The token itself travels only in the mail.")
class TeammateInvitation:
    id: strawberry.ID = strawberry.field(description="The invitation's global id.")
    email: str = strawberry.field(description="The address invited.")
    role: Role = strawberry.field(description="The role they get on accepting.")
    expires_at: datetime = strawberry.field(description="When the invitation lapses.")
    account_id: strawberry.Private[int]


@strawberry.type(description="The invitation, or why not, with the quote that lifts a seat limit.")
class InviteTeammatePayload:
    invitation: Optional[TeammateInvitation] = strawberry.field(default=None, description="The pending invitation.")
    user_errors: list[UserError] = strawberry.field(default_factory=list,
                                                    description="What the caller can fix; empty on success.")
    quote: Optional[Annotated["Quote", strawberry.lazy("schema.billing.types")]] = strawberry.field(
        default=None, description="On SEAT_LIMIT_REACHED: the quote for one more seat, for the account's people "
                                  "acting in it; null otherwise.")


@strawberry.type(description="The teammate after the change, or why not.")
class TeammatePayload:
    teammate: Optional[Teammate] = strawberry.field(default=None, description="The teammate as they are now.")
    user_errors: list[UserError] = strawberry.field(default_factory=list,
                                                    description="What the caller can fix; empty on success.")


@strawberry.type(description="Which teammate was removed, or why not.")
class RemoveTeammatePayload:
    removed_teammate_id: Optional[strawberry.ID] = strawberry.field(default=None, description="The removed "
                                                                                             "teammate's global id.")
    user_errors: list[UserError] = strawberry.field(default_factory=list,
                                                    description="What the caller can fix; empty on success.")


def _invitation(row) -> dict:
    return {"invitation": TeammateInvitation(id=strawberry.ID(to_global_id("Invitation", row.id)),
                                             email=row.email, role=Role(row.role), expires_at=row.expires_at,
                                             account_id=row.account_id)}


@strawberry.type
class TeammateMutation:
    @strawberry.mutation(extensions=requires(Scope.TEAMMATES_MANAGE), description=(
        "Invite an address to join the account as a teammate. The invitation is mailed, and holds a paid seat "
        "until it is accepted, withdrawn or expires (INVITATION_TTL_SECONDS, 7 days by default). Owners and "
        "admins (teammates:manage); only an owner invites an owner (else FORBIDDEN). Audited. userErrors: "
        "INVALID_INPUT (email), ALREADY_EXISTS (a teammate already, or invited and still open), "
        "SEAT_LIMIT_REACHED with a quote for one more seat, ACCOUNT_READ_ONLY."))
    async def invite_teammate(self, info: Info, input: Annotated[InviteTeammateInput, strawberry.argument(
            description="The address and the role.")]) -> InviteTeammatePayload:
        ctx = info.context
        return await mutate(info, InviteTeammatePayload, lambda: invitations.invite_teammate(
            ctx.actor, input.email, DomainRole(input.role.value), now=ctx.now, catalog=ctx.catalog,
            settings=ctx.settings), _invitation)

    @strawberry.mutation(extensions=public() + rate_limited("acceptInvitation"), description=(
        "Take up a teammate or share invitation with the token from its mail. A new person sets a password and "
        "name; a person who already has a login signs in first and sends the token with their access token "
        "Public; throttled (RATE_LIMITED). Signs the person in; a new teammate acts in the "
        "account they joined. userErrors: INVITATION_INVALID (unknown, used, expired, withdrawn, or for another "
        "login), INVALID_INPUT (password, name), ALREADY_EXISTS (a teammate already), SEAT_LIMIT_REACHED (the "
        "seats were taken meanwhile; no quote, since the person does not act in that account yet)."))
    async def accept_invitation(self, info: Info, input: Annotated[AcceptInvitationInput, strawberry.argument(
            description="The token, and a new person's password and name.")]) -> AuthPayload:
        ctx = info.context
        signed_in_user_id = ctx.principal.actor.user_id if ctx.principal else None

        async def call():
            accepted = await invitations.accept_invitation(
                input.token, now=ctx.now, security_now=ctx.security_now, catalog=ctx.catalog,
                settings=ctx.settings, password=input.password, name=input.name,
                signed_in_user_id=signed_in_user_id, client=client_of(info),
                at_account_clock=ctx.settings.honours_test_clock and not ctx.test_clock_sent)
            return await signed_in(info, accepted.session)

        return await mutate(info, AuthPayload, call, lambda fields: fields)

    @strawberry.mutation(extensions=requires(Scope.TEAMMATES_MANAGE), description=(
        "Change a teammate's role; it takes effect on their next request. Owners and admins "
        "(teammates:manage); only an owner makes or unmakes owners (else FORBIDDEN). Audited. userErrors: "
        "NOT_FOUND (teammateId), LAST_OWNER, ACCOUNT_READ_ONLY."))
    async def change_teammate_role(self, info: Info, input: Annotated[ChangeTeammateRoleInput, strawberry.argument(
            description="The teammate and the role.")]) -> TeammatePayload:
        ctx = info.context

        async def call():
            membership_id = from_global_id(input.teammate_id, "Teammate", field="teammateId")
            return await teammates.change_teammate_role(ctx.actor, membership_id, DomainRole(input.role.value),
                                                        now=ctx.now, catalog=ctx.catalog)

        return await mutate(info, TeammatePayload, call, lambda row: {"teammate": Teammate.from_model(row)})

    @strawberry.mutation(extensions=requires(Scope.TEAMMATES_MANAGE), description=(
        "Remove a teammate: their access ends on their very next request, their dossier assignments go, and "
        "their refresh tokens for the account are revoked; what they wrote stays. Someone who is no longer a "
        "paid user keeps their three oldest shares elsewhere. Owners and admins (teammates:manage); only an "
        "owner removes an owner (else FORBIDDEN). Allowed after cancellation too. Audited. userErrors: "
        "NOT_FOUND (teammateId), LAST_OWNER."))
    async def remove_teammate(self, info: Info, input: Annotated[RemoveTeammateInput, strawberry.argument(
            description="The teammate.")]) -> RemoveTeammatePayload:
        ctx = info.context

        async def call():
            membership_id = from_global_id(input.teammate_id, "Teammate", field="teammateId")
            return await teammates.remove_teammate(ctx.actor, membership_id, now=ctx.now, catalog=ctx.catalog)

        return await mutate(info, RemoveTeammatePayload, call, lambda removed_id: {
            "removed_teammate_id": strawberry.ID(to_global_id("Teammate", removed_id))})
