"""Machine credentials for partner systems (T4): create, rotate, revoke, and exchange a
client id and secret for an access token."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Optional

import strawberry

from auth import machines, policy
from auth.models import MachineCredential as CredentialRow
from auth.permissions import public, requires
from auth.rate_limit import rate_limited
from auth.audiences import Audience
from auth.scopes import Scope
from schema.context import Info
from schema.errors import UserError, mutate
from schema.relay import from_global_id, to_global_id
from schema.rules import rules


@rules(audience=Audience.TEAM)
@strawberry.type(description="A partner system's credential for this account: a client id and scopes; the "
                             "secret is shown once, at creation or rotation.")
class MachineCredential:
    id: strawberry.ID = strawberry.field(description="The credential's global id.")
    name: str = strawberry.field(description="A name for people, e.g. \"Partner CRM\".")
    client_id: str = strawberry.field(description="The public half of the credential (cbm_…).")
    scopes: list[str] = strawberry.field(description="What its tokens may do: dossiers:read, dossiers:write, "
                                                     "shares:manage, webhooks:manage.")
    created_at: datetime = strawberry.field(description="When it was created.")
    rotated_at: Optional[datetime] = strawberry.field(description="When its secret was last replaced.")
    revoked_at: Optional[datetime] = strawberry.field(description="When it was revoked; its tokens stopped then.")
    account_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, row: CredentialRow) -> "MachineCredential":
        return cls(id=strawberry.ID(to_global_id("MachineCredential", row.id)), name=row.name,
                   client_id=row.client_id, scopes=row.scopes.split(), created_at=row.created_at,
                   rotated_at=row.rotated_at, revoked_at=row.revoked_at, account_id=row.account_id)


@strawberry.input(description="A new credential for a partner system.")
class CreateMachineCredentialInput:
    name: str = strawberry.field(description="A name for people, at most 200 characters.")
    scopes: list[str] = strawberry.field(description="What its tokens may do: one or more of dossiers:read, "
                                                     "dossiers:write, shares:manage, webhooks:manage; dossiers:read "
                                                     "is always added.")


@strawberry.input(description="One machine credential.")
class MachineCredentialIdInput:
    credential_id: strawberry.ID = strawberry.field(description="The credential's global id.")


@strawberry.input(description="A partner system's client credentials.")
class IssueMachineTokenInput:
    client_id: str = strawberry.field(description="The credential's client id (cbm_…).")
    client_secret: str = strawberry.field(description="Its secret.")


@strawberry.type(description="A credential and its new secret, or why not.")
class MachineCredentialPayload:
    credential: Optional[MachineCredential] = strawberry.field(default=None, description="The credential.")
    # Shown once; only a hash is kept.
    client_secret: Optional[str] = strawberry.field(default=None, description="The secret, shown this once: only a "
                                                                              "hash of it is kept.")
    user_errors: list[UserError] = strawberry.field(default_factory=list,
                                                    description="What the caller can fix; empty on success.")


@strawberry.type(description="Which credential was revoked, or why not.")
class RevokeMachineCredentialPayload:
    revoked_credential_id: Optional[strawberry.ID] = strawberry.field(default=None, description="The revoked "
                                                                                               "credential's global "
                                                                                               "id.")
    user_errors: list[UserError] = strawberry.field(default_factory=list,
                                                    description="What the caller can fix; empty on success.")


@strawberry.type(description="An access token for a partner system, or why not.")
class MachineTokenPayload:
    access_token: Optional[str] = strawberry.field(
        default=None, description="A short-lived JWT acting in the credential's account with its scopes. There "
                                  "is no refresh token: ask again with the secret.")
    expires_at: Optional[datetime] = strawberry.field(default=None, description="When the access token expires.")
    user_errors: list[UserError] = strawberry.field(default_factory=list,
                                                    description="What the caller can fix; empty on success.")


def _issued(issued: machines.IssuedCredential) -> dict:
    return {"credential": MachineCredential.from_model(issued.credential), "client_secret": issued.secret}


async def credentials_of(info: Info, account_id: int) -> list[MachineCredential]:
    if not policy.may(info.context.principal, "team", "manage", policy.Facts(account_id)):
        return []
    return [MachineCredential.from_model(row) for row in await machines.credentials_of(account_id)]


@strawberry.type
class MachineMutation:
    @strawberry.mutation(extensions=requires(Scope.TEAMMATES_MANAGE), description=(
        "Create a credential for a partner system of the account: a client id, and a secret shown once. Its "
        "tokens reach dossiers only, never the team, billing or the audit log. Owners and admins "
        "(teammates:manage). Audited. userErrors: INVALID_INPUT (name, scopes)."))
    async def create_machine_credential(self, info: Info, input: Annotated[
            CreateMachineCredentialInput, strawberry.argument(description="Its name and scopes.")]
            ) -> MachineCredentialPayload:
        ctx = info.context
        return await mutate(info, MachineCredentialPayload, lambda: machines.create_credential(
            ctx.actor, input.name, input.scopes, now=ctx.now), _issued)

    @strawberry.mutation(extensions=requires(Scope.TEAMMATES_MANAGE), description=(
        "A new secret for a credential, shown once: the old secret, and every token it got, stop working on the "
        "next request. Owners and admins (teammates:manage). Audited. userErrors: NOT_FOUND "
        "(credentialId)."))
    async def rotate_machine_credential(self, info: Info, input: Annotated[
            MachineCredentialIdInput, strawberry.argument(description="The credential.")]
            ) -> MachineCredentialPayload:
        ctx = info.context

        async def call():
            pk = from_global_id(input.credential_id, "MachineCredential", field="credentialId")
            return await machines.rotate_credential(ctx.actor, pk, now=ctx.now)

        return await mutate(info, MachineCredentialPayload, call, _issued)

    @strawberry.mutation(extensions=requires(Scope.TEAMMATES_MANAGE), description=(
        "Revoke a credential: it, and every token it got, stop working on the next request. Owners and "
        "admins (teammates:manage). Audited. userErrors: NOT_FOUND (credentialId)."))
    async def revoke_machine_credential(self, info: Info, input: Annotated[
            MachineCredentialIdInput, strawberry.argument(description="The credential.")]
            ) -> RevokeMachineCredentialPayload:
        ctx = info.context

        async def call():
            pk = from_global_id(input.credential_id, "MachineCredential", field="credentialId")
            return await machines.revoke_credential(ctx.actor, pk, now=ctx.now)

        return await mutate(info, RevokeMachineCredentialPayload, call, lambda pk: {
            "revoked_credential_id": strawberry.ID(to_global_id("MachineCredential", pk))})

    @strawberry.mutation(extensions=public() + rate_limited("issueMachineToken"), description=(
        "Exchange a client id and secret for a short-lived access token. Public; throttled (a top-level "
        "RATE_LIMITED). Audited like a sign-in, failures too. userErrors: INVALID_CREDENTIALS (wrong, or "
        "revoked)."))
    async def issue_machine_token(self, info: Info, input: Annotated[
            IssueMachineTokenInput, strawberry.argument(description="The client id and secret.")]
            ) -> MachineTokenPayload:
        ctx = info.context

        async def call():
            return await machines.exchange(ctx.tokens, input.client_id, input.client_secret,
                                           now=ctx.now, security_now=ctx.security_now)

        return await mutate(info, MachineTokenPayload, call,
                            lambda issued: {"access_token": issued[0], "expires_at": issued[1]})
