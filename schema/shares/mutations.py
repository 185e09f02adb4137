"""shareDossier and revokeShare (SPEC §4; API.md). Thin: parse, one service call, map."""
from __future__ import annotations

from typing import Annotated, Optional

import strawberry

from auth.permissions import requires
from auth.scopes import Scope
from domain.shares import service
from schema.context import Info
from schema.errors import UserError, mutate
from schema.relay import from_global_id, to_global_id
from schema.dossiers.types import Share, ShareAccess


@strawberry.input
class ShareDossierInput:
    dossier_id: strawberry.ID
    email: str
    access: ShareAccess


@strawberry.input
class RevokeShareInput:
    share_id: strawberry.ID


@strawberry.type
class ShareDossierPayload:
    share: Optional[Share] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)
    quote: Optional[Annotated["Quote", strawberry.lazy("schema.billing.types")]] = None


@strawberry.type
class RevokeSharePayload:
    revoked_share_id: Optional[strawberry.ID] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ShareMutation:
    @strawberry.mutation(extensions=requires(Scope.SHARES_MANAGE))
    async def share_dossier(self, info: Info, input: ShareDossierInput) -> ShareDossierPayload:
        ctx = info.context

        async def call():
            dossier_id = from_global_id(input.dossier_id, "Dossier", field="dossierId")
            return await service.share_dossier(ctx.actor, dossier_id, input.email, input.access.value,
                                               now=ctx.now, catalog=ctx.catalog, settings=ctx.settings)

        return await mutate(info, ShareDossierPayload, call, lambda row: {"share": Share.from_model(row)})

    @strawberry.mutation(extensions=requires(Scope.SHARES_MANAGE))
    async def revoke_share(self, info: Info, input: RevokeShareInput) -> RevokeSharePayload:
        ctx = info.context

        async def call():
            share_id = from_global_id(input.share_id, "Share", field="shareId")
            return await service.revoke_share(ctx.actor, share_id, now=ctx.now)

        return await mutate(info, RevokeSharePayload, call,
                            lambda share_id: {"revoked_share_id": strawberry.ID(to_global_id("Share", share_id))})
