"""shareDossier and revokeShare (SPEC §4; API.md). Thin: parse, one service call, map."""
from __future__ import annotations

from typing import Annotated, Optional

import strawberry

from auth.permissions import requires
from auth.scopes import Scope
from domain.shares import service
from schema.context import Info
from schema.errors import UserError, mutate
from schema.inputs import leaf_input
from schema.relay import from_global_id, to_global_id
from schema.dossiers.types import Share, ShareAccess


@leaf_input
@strawberry.input(description="Who to give free access to one dossier, and what access.")
class ShareDossierInput:
    dossier_id: strawberry.ID = strawberry.field(description="The dossier's global id.")
    email: str = strawberry.field(description="The address to share with: not the caller's own, and not a teammate "
                                              "of the dossier's account (they have access already).")
    access: ShareAccess = strawberry.field(description="VIEWER for anyone; CONTRIBUTOR only for a paid user.")


@strawberry.input(description="The share to end.")
class RevokeShareInput:
    share_id: strawberry.ID = strawberry.field(description="The share's global id.")


@strawberry.type(description="The share given, or why not, with the quote that lifts a guest's limit.")
class ShareDossierPayload:
    share: Optional[Share] = strawberry.field(default=None, description="The share: ACTIVE at once for an address "
                                                                        "with a login, else PENDING until the mailed "
                                                                        "invitation is accepted.")
    user_errors: list[UserError] = strawberry.field(default_factory=list,
                                                    description="What the caller can fix; empty on success.")
    quote: Optional[Annotated["Quote", strawberry.lazy("schema.billing.types")]] = strawberry.field(
        default=None, description="On GUEST_DOSSIER_LIMIT_REACHED: the quote for one more seat, to add the person as "
                                  "a paid teammate instead; for the account's people acting in it; null "
                                  "otherwise.")


@strawberry.type(description="Which share was ended, or why not.")
class RevokeSharePayload:
    revoked_share_id: Optional[strawberry.ID] = strawberry.field(default=None, description="The revoked share's "
                                                                                          "global id.")
    user_errors: list[UserError] = strawberry.field(default_factory=list,
                                                    description="What the caller can fix; empty on success.")


@strawberry.type
class ShareMutation:
    @strawberry.mutation(extensions=requires(Scope.SHARES_MANAGE), description=(
        "Give an email address from outside the account free access to one dossier: VIEWER, or "
        "CONTRIBUTOR for a paid user. A person whose login has proven the address has it at once; anyone "
        "else (a paid user who has not proven it yet included) is mailed an invitation and the share waits, PENDING, "
        "until the address is proven. Those who manage the dossier's shares: owners and admins of its "
        "account, its assigned members, the account's machine credentials (shares:manage). Audited. "
        "userErrors: NOT_FOUND (dossierId), INVALID_INPUT (email; CONTRIBUTOR for someone who is not a paid user), "
        "ALREADY_EXISTS (shared with them already, or a teammate of the account), DOSSIER_ARCHIVED, "
        "DOSSIER_SHARE_LIMIT_REACHED, GUEST_DOSSIER_LIMIT_REACHED with a quote for a seat, "
        "ACCOUNT_READ_ONLY."))
    async def share_dossier(self, info: Info, input: Annotated[ShareDossierInput, strawberry.argument(
            description="The dossier, the address and the access.")]) -> ShareDossierPayload:
        ctx = info.context

        async def call():
            dossier_id = from_global_id(input.dossier_id, "Dossier", field="dossierId")
            return await service.share_dossier(ctx.actor, dossier_id, input.email, input.access.value,
                                               now=ctx.now, catalog=ctx.catalog, settings=ctx.settings)

        return await mutate(info, ShareDossierPayload, call, lambda row: {"share": Share.from_model(row)})

    @strawberry.mutation(extensions=requires(Scope.SHARES_MANAGE), description=(
        "End a share: the holder's very next request no longer sees the dossier, and a suspended share of "
        "theirs elsewhere may come back. Those who manage the dossier's shares, as for shareDossier; also "
        "after cancellation. Audited. userErrors: NOT_FOUND (shareId)."))
    async def revoke_share(self, info: Info, input: Annotated[RevokeShareInput, strawberry.argument(
            description="The share.")]) -> RevokeSharePayload:
        ctx = info.context

        async def call():
            share_id = from_global_id(input.share_id, "Share", field="shareId")
            return await service.revoke_share(ctx.actor, share_id, now=ctx.now)

        return await mutate(info, RevokeSharePayload, call,
                            lambda share_id: {"revoked_share_id": strawberry.ID(to_global_id("Share", share_id))})
