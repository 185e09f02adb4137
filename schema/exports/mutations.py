"""`exportDossier` and `exportAccount` (D8): parse, call the domain, map. A dossier the
principal may not see is NOT_FOUND; a format that does not fit is INVALID_INPUT; an
account export by anyone but an owner (or by a machine credential) is FORBIDDEN."""
from __future__ import annotations

from typing import Annotated, Any, Optional

import strawberry

from auth.permissions import requires
from auth.scopes import Scope
from domain.exports import service
from schema.context import Info
from schema.errors import UserError, mutate
from schema.exports.types import Export, ExportFormat
from schema.relay import from_global_id


@strawberry.input(description="Which dossier to export, and as what.")
class ExportDossierInput:
    dossier_id: strawberry.ID = strawberry.field(description="The dossier's global id.")
    format: ExportFormat = strawberry.field(description="JSON or PDF.")


@strawberry.input(description="How to export the whole account.")
class ExportAccountInput:
    format: ExportFormat = strawberry.field(default=ExportFormat.ZIP, description="ZIP (the only format).")


@strawberry.type(description="The export asked for (PENDING at first; poll `export(id)`), or why not.")
class ExportPayload:
    export: Optional[Export] = strawberry.field(default=None, description="The export, when accepted.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Why it was refused; empty "
                                                                                      "on success.")


def _export(row: Any) -> dict[str, Any]:
    return {"export": Export.from_model(row)}


@strawberry.type
class ExportMutation:
    @strawberry.mutation(extensions=requires(Scope.DOSSIERS_READ),
                         description="Export one dossier whole — profile, every version of every entry with its "
                                     "author and time, measurements, shares, and its access log for those who may "
                                     "read that — as JSON or PDF, built in the background. Anyone who may read "
                                     "it. Recorded in its access log and audited. userErrors: NOT_FOUND "
                                     "(dossierId), INVALID_INPUT (a format other than JSON or PDF, or 10 of the "
                                     "caller's exports still being prepared). Asking again while the same export "
                                     "is being prepared answers that one.")
    async def export_dossier(self, info: Info, input: Annotated[ExportDossierInput, strawberry.argument(
            description="The dossier and the format.")]) -> ExportPayload:
        ctx = info.context
        return await mutate(info, ExportPayload, lambda: service.request_dossier_export(
            ctx.actor, from_global_id(input.dossier_id, "Dossier", field="dossierId"), input.format.value,
            now=ctx.now, security_now=ctx.security_now), _export)

    @strawberry.mutation(extensions=requires(Scope.DOSSIERS_READ),
                         description="Export every dossier of the account and its ledger as one ZIP archive, "
                                     "built in the background. Owners, also after cancellation; not "
                                     "machine credentials (else FORBIDDEN). Every dossier in it is recorded as read "
                                     "; audited. userErrors: INVALID_INPUT (a format other than ZIP, or "
                                     "10 of the caller's exports still being prepared).")
    async def export_account(self, info: Info, input: Annotated[ExportAccountInput, strawberry.argument(
            description="The format.")]) -> ExportPayload:
        ctx = info.context
        return await mutate(info, ExportPayload, lambda: service.request_account_export(
            ctx.actor, input.format.value, now=ctx.now, security_now=ctx.security_now), _export)
