"""Dossier mutations: parse the input, call one domain service, map the result. Refusals
are user errors (with a quote on ACTIVE_CLIENT_LIMIT_REACHED); a dossier the principal
may not see is NOT_FOUND; an action their role does not allow is a top-level FORBIDDEN."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Optional

import strawberry

from auth.permissions import requires
from auth.scopes import Scope
from domain.dossiers import entries, measurements, service
from schema.context import Info
from schema.dossiers.content import Entry, EntryKind, Measurement
from schema.dossiers.types import Dossier
from schema.errors import UserError, mutate
from schema.relay import from_global_id, to_global_id

if TYPE_CHECKING:
    from schema.billing.types import Quote

QuoteField = Optional[Annotated["Quote", strawberry.lazy("schema.billing.types")]]


@strawberry.input
class FreeFieldInput:
    name: str
    value: str


def _pairs(fields: Optional[list[FreeFieldInput]]) -> Optional[list[tuple[str, str]]]:
    return None if fields is None else [(field.name, field.value) for field in fields]


@strawberry.input
class CreateDossierInput:
    client_name: str
    reference: Optional[str] = None
    date_of_birth: Optional[date] = None
    free_fields: Optional[list[FreeFieldInput]] = None


@strawberry.input
class UpdateDossierInput:
    """Only the fields sent change; null clears `reference` or `dateOfBirth`."""

    dossier_id: strawberry.ID
    client_name: Optional[str] = strawberry.UNSET
    reference: Optional[str] = strawberry.UNSET
    date_of_birth: Optional[date] = strawberry.UNSET
    # Sent: replaces every free field (null or [] clears them).
    free_fields: Optional[list[FreeFieldInput]] = strawberry.UNSET


@strawberry.input
class ArchiveDossierInput:
    dossier_id: strawberry.ID


@strawberry.input
class UnarchiveDossierInput:
    dossier_id: strawberry.ID


@strawberry.input
class DeleteDossierInput:
    dossier_id: strawberry.ID


@strawberry.input
class AssignTeammateInput:
    dossier_id: strawberry.ID
    teammate_id: strawberry.ID


@strawberry.input
class UnassignTeammateInput:
    dossier_id: strawberry.ID
    teammate_id: strawberry.ID


@strawberry.input
class AddEntryInput:
    dossier_id: strawberry.ID
    kind: EntryKind
    body: str


@strawberry.input
class ReviseEntryInput:
    entry_id: strawberry.ID
    body: str


@strawberry.input
class RecordMeasurementInput:
    dossier_id: strawberry.ID
    metric: str
    value: Decimal
    unit: str
    measured_at: datetime


@strawberry.type
class DossierPayload:
    dossier: Optional[Dossier] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)
    quote: QuoteField = None


@strawberry.type
class DeleteDossierPayload:
    deleted_dossier_id: Optional[strawberry.ID] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class EntryPayload:
    entry: Optional[Entry] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)
    quote: QuoteField = None


@strawberry.type
class MeasurementPayload:
    measurement: Optional[Measurement] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)
    quote: QuoteField = None


def _dossier_id(raw: strawberry.ID) -> int:
    return from_global_id(raw, "Dossier", field="dossierId")


def _keep(value: Any) -> Any:
    return service.KEEP if value is strawberry.UNSET else value


def _dossier(row: Any) -> dict[str, Any]:
    return {"dossier": Dossier.from_model(row)}


def _entry(written: entries.WrittenEntry) -> dict[str, Any]:
    return {"entry": Entry.from_model(written.entry, written.revision)}


@strawberry.type
class DossierMutation:
    @strawberry.mutation(extensions=requires(Scope.DOSSIERS_WRITE))
    async def create_dossier(self, info: Info, input: CreateDossierInput) -> DossierPayload:
        ctx = info.context
        return await mutate(info, DossierPayload, lambda: service.create_dossier(
            ctx.actor, client_name=input.client_name, reference=input.reference,
            date_of_birth=input.date_of_birth, free_fields=_pairs(input.free_fields),
            now=ctx.now, catalog=ctx.catalog), _dossier)

    @strawberry.mutation(extensions=requires(Scope.DOSSIERS_WRITE))
    async def update_dossier(self, info: Info, input: UpdateDossierInput) -> DossierPayload:
        ctx = info.context
        return await mutate(info, DossierPayload, lambda: service.update_dossier(
            ctx.actor, _dossier_id(input.dossier_id), client_name=_keep(input.client_name),
            reference=_keep(input.reference), date_of_birth=_keep(input.date_of_birth),
            free_fields=service.KEEP if input.free_fields is strawberry.UNSET else _pairs(input.free_fields),
            now=ctx.now, catalog=ctx.catalog), _dossier)

    @strawberry.mutation(extensions=requires(Scope.DOSSIERS_WRITE))
    async def archive_dossier(self, info: Info, input: ArchiveDossierInput) -> DossierPayload:
        ctx = info.context
        return await mutate(info, DossierPayload, lambda: service.archive_dossier(
            ctx.actor, _dossier_id(input.dossier_id), now=ctx.now, catalog=ctx.catalog), _dossier)

    @strawberry.mutation(extensions=requires(Scope.DOSSIERS_WRITE))
    async def unarchive_dossier(self, info: Info, input: UnarchiveDossierInput) -> DossierPayload:
        """Bring an archived dossier back (D6): owners and admins; audited."""
        ctx = info.context
        return await mutate(info, DossierPayload, lambda: service.unarchive_dossier(
            ctx.actor, _dossier_id(input.dossier_id), now=ctx.now, catalog=ctx.catalog), _dossier)

    @strawberry.mutation(extensions=requires(Scope.DOSSIERS_WRITE))
    async def delete_dossier(self, info: Info, input: DeleteDossierInput) -> DeleteDossierPayload:
        """Erase a client's dossier (owners only; audited)."""
        ctx = info.context
        return await mutate(info, DeleteDossierPayload, lambda: service.delete_dossier(
            ctx.actor, _dossier_id(input.dossier_id), now=ctx.now),
            lambda pk: {"deleted_dossier_id": strawberry.ID(to_global_id("Dossier", pk))})

    @strawberry.mutation(extensions=requires(Scope.DOSSIERS_WRITE, Scope.TEAMMATES_MANAGE))
    async def assign_teammate(self, info: Info, input: AssignTeammateInput) -> DossierPayload:
        ctx = info.context
        return await mutate(info, DossierPayload, lambda: service.assign_teammate(
            ctx.actor, _dossier_id(input.dossier_id),
            from_global_id(input.teammate_id, "Teammate", field="teammateId"),
            now=ctx.now, catalog=ctx.catalog), _dossier)

    @strawberry.mutation(extensions=requires(Scope.DOSSIERS_WRITE, Scope.TEAMMATES_MANAGE))
    async def unassign_teammate(self, info: Info, input: UnassignTeammateInput) -> DossierPayload:
        ctx = info.context
        return await mutate(info, DossierPayload, lambda: service.unassign_teammate(
            ctx.actor, _dossier_id(input.dossier_id),
            from_global_id(input.teammate_id, "Teammate", field="teammateId"),
            now=ctx.now, catalog=ctx.catalog), _dossier)

    @strawberry.mutation(extensions=requires(Scope.DOSSIERS_WRITE))
    async def add_entry(self, info: Info, input: AddEntryInput) -> EntryPayload:
        ctx = info.context
        return await mutate(info, EntryPayload, lambda: entries.add_entry(
            ctx.actor, _dossier_id(input.dossier_id), kind=input.kind.value, body=input.body,
            now=ctx.now, catalog=ctx.catalog), _entry)

    @strawberry.mutation(extensions=requires(Scope.DOSSIERS_WRITE))
    async def revise_entry(self, info: Info, input: ReviseEntryInput) -> EntryPayload:
        ctx = info.context
        return await mutate(info, EntryPayload, lambda: entries.revise_entry(
            ctx.actor, from_global_id(input.entry_id, "Entry", field="entryId"), body=input.body,
            now=ctx.now, catalog=ctx.catalog), _entry)

    @strawberry.mutation(extensions=requires(Scope.DOSSIERS_WRITE))
    async def record_measurement(self, info: Info, input: RecordMeasurementInput) -> MeasurementPayload:
        ctx = info.context
        return await mutate(info, MeasurementPayload, lambda: measurements.record_measurement(
            ctx.actor, _dossier_id(input.dossier_id), metric=input.metric, value=input.value,
            unit=input.unit, measured_at=input.measured_at, now=ctx.now, catalog=ctx.catalog),
            lambda row: {"measurement": Measurement.from_model(row)})
