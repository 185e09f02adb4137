"""Machine credentials for partner systems (T4): create, rotate, revoke, and exchange a
client id and secret for an access token."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import strawberry

from auth import machines
from auth.models import MachineCredential as CredentialRow
from auth.permissions import public, requires
from auth.rate_limit import rate_limited
from auth.scopes import Scope
from schema.context import Info
from schema.errors import UserError, mutate
from schema.relay import from_global_id, to_global_id


@strawberry.type
class MachineCredential:
    row: strawberry.Private[CredentialRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("MachineCredential", self.row.id))

    @strawberry.field
    def name(self) -> str:
        return self.row.name

    @strawberry.field
    def client_id(self) -> str:
        return self.row.client_id

    @strawberry.field
    def scopes(self) -> list[str]:
        return self.row.scopes.split()

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row.created_at

    @strawberry.field
    def rotated_at(self) -> Optional[datetime]:
        return self.row.rotated_at

    @strawberry.field
    def revoked_at(self) -> Optional[datetime]:
        return self.row.revoked_at


@strawberry.input
class CreateMachineCredentialInput:
    name: str
    scopes: list[str]


@strawberry.input
class MachineCredentialIdInput:
    credential_id: strawberry.ID


@strawberry.input
class IssueMachineTokenInput:
    client_id: str
    client_secret: str


@strawberry.type
class MachineCredentialPayload:
    credential: Optional[MachineCredential] = None
    # Shown once; only a hash is kept.
    client_secret: Optional[str] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RevokeMachineCredentialPayload:
    revoked_credential_id: Optional[strawberry.ID] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class MachineTokenPayload:
    access_token: Optional[str] = None
    expires_at: Optional[datetime] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _issued(issued: machines.IssuedCredential) -> dict:
    return {"credential": MachineCredential(row=issued.credential), "client_secret": issued.secret}


async def credentials_of(info: Info, account_id: int) -> list[MachineCredential]:
    actor = info.context.actor
    if actor.account_id != account_id or not actor.manages_account:
        return []
    return [MachineCredential(row=row) for row in await machines.credentials_of(account_id)]


@strawberry.type
class MachineMutation:
    @strawberry.mutation(extensions=requires(Scope.TEAMMATES_MANAGE))
    async def create_machine_credential(self, info: Info, input: CreateMachineCredentialInput) -> MachineCredentialPayload:
        ctx = info.context
        return await mutate(info, MachineCredentialPayload, lambda: machines.create_credential(
            ctx.actor, input.name, input.scopes, now=ctx.now), _issued)

    @strawberry.mutation(extensions=requires(Scope.TEAMMATES_MANAGE))
    async def rotate_machine_credential(self, info: Info, input: MachineCredentialIdInput) -> MachineCredentialPayload:
        ctx = info.context

        async def call():
            pk = from_global_id(input.credential_id, "MachineCredential", field="credentialId")
            return await machines.rotate_credential(ctx.actor, pk, now=ctx.now)

        return await mutate(info, MachineCredentialPayload, call, _issued)

    @strawberry.mutation(extensions=requires(Scope.TEAMMATES_MANAGE))
    async def revoke_machine_credential(self, info: Info, input: MachineCredentialIdInput) -> RevokeMachineCredentialPayload:
        ctx = info.context

        async def call():
            pk = from_global_id(input.credential_id, "MachineCredential", field="credentialId")
            return await machines.revoke_credential(ctx.actor, pk, now=ctx.now)

        return await mutate(info, RevokeMachineCredentialPayload, call, lambda pk: {
            "revoked_credential_id": strawberry.ID(to_global_id("MachineCredential", pk))})

    @strawberry.mutation(extensions=public() + rate_limited("issueMachineToken"))
    async def issue_machine_token(self, info: Info, input: IssueMachineTokenInput) -> MachineTokenPayload:
        ctx = info.context

        async def call():
            return await machines.exchange(ctx.tokens, input.client_id, input.client_secret,
                                           now=ctx.now, security_now=ctx.security_now)

        return await mutate(info, MachineTokenPayload, call,
                            lambda issued: {"access_token": issued[0], "expires_at": issued[1]})
