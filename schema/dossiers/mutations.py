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
from schema.inputs import leaf_input
from schema.relay import from_global_id, to_global_id

if TYPE_CHECKING:
    from schema.billing.types import Quote

QuoteField = Optional[Annotated["Quote", strawberry.lazy("schema.billing.types")]]
QUOTE_ON_LIMIT = ("On ACTIVE_CLIENT_LIMIT_REACHED: the quote for the smallest tier that allows the write, for "
                  "the account's people acting in it; null otherwise.")
# Who may write a dossier's content, as the mutations' descriptions say it.
WRITERS = ("Anyone who may write the dossier: owners and admins of its account, its assigned members, holders of a "
           "CONTRIBUTOR share; a reader gets a top-level FORBIDDEN.")


@strawberry.input(description="A named free field of the client's profile.")
class FreeFieldInput:
    name: str = strawberry.field(description="Its name, at most 100 characters; unique in the dossier regardless of "
                                             "case.")
    value: str = strawberry.field(description="Its text, at most 2000 characters.")


def _pairs(fields: Optional[list[FreeFieldInput]]) -> Optional[list[tuple[str, str]]]:
    return None if fields is None else [(field.name, field.value) for field in fields]


@strawberry.input(description="A new client's dossier.")
class CreateDossierInput:
    client_name: str = strawberry.field(description=(
        "The client's name: one line of at most 200 characters a person can read (no invisible "
        "characters, direction overrides or words mixing scripts)."))
    reference: Optional[str] = strawberry.field(default=None, description="The practice's own reference for the "
                                                                          "client, at most 100 characters.")
    date_of_birth: Optional[date] = strawberry.field(default=None, description="The client's date of birth: not "
                                                                               "after today in the account's time "
                                                                               "zone, not before 1880.")
    free_fields: Optional[list[FreeFieldInput]] = strawberry.field(default=None, description="Named free fields of "
                                                                                             "the profile, at most "
                                                                                             "30, in the order to "
                                                                                             "show them.")


@strawberry.input(description="Changes to the client's profile: only the fields sent change.")
class UpdateDossierInput:
    dossier_id: strawberry.ID = strawberry.field(description="The dossier's global id.")
    client_name: Optional[str] = strawberry.field(default=strawberry.UNSET, description=(
        "A new name, checked as clientName of createDossier; it cannot be cleared."))
    reference: Optional[str] = strawberry.field(default=strawberry.UNSET, description="A new reference; null clears "
                                                                                      "it.")
    date_of_birth: Optional[date] = strawberry.field(default=strawberry.UNSET, description="A new date of birth; "
                                                                                           "null clears it.")
    free_fields: Optional[list[FreeFieldInput]] = strawberry.field(
        default=strawberry.UNSET, description="Replaces every free field; null or [] clears them.")


@strawberry.input(description="The dossier to archive.")
class ArchiveDossierInput:
    dossier_id: strawberry.ID = strawberry.field(description="The dossier's global id.")


@strawberry.input(description="The dossier to bring back.")
class UnarchiveDossierInput:
    dossier_id: strawberry.ID = strawberry.field(description="The dossier's global id.")


@strawberry.input(description="The dossier to erase.")
class DeleteDossierInput:
    dossier_id: strawberry.ID = strawberry.field(description="The dossier's global id.")


@strawberry.input(description="A dossier and a teammate of its account to work on it.")
class AssignTeammateInput:
    dossier_id: strawberry.ID = strawberry.field(description="The dossier's global id.")
    teammate_id: strawberry.ID = strawberry.field(description="The teammate's global id (Teammate.id, not the "
                                                              "user's).")


@strawberry.input(description="A dossier and a teammate to take off it.")
class UnassignTeammateInput:
    dossier_id: strawberry.ID = strawberry.field(description="The dossier's global id.")
    teammate_id: strawberry.ID = strawberry.field(description="The teammate's global id (Teammate.id, not the "
                                                              "user's).")


@leaf_input
@strawberry.input(description="A new entry in a dossier.")
class AddEntryInput:
    dossier_id: strawberry.ID = strawberry.field(description="The dossier's global id.")
    kind: EntryKind = strawberry.field(description="What the entry is.")
    body: str = strawberry.field(description="Its text, at most 100000 characters.")


@strawberry.input(description="A new version of an entry.")
class ReviseEntryInput:
    entry_id: strawberry.ID = strawberry.field(description="The entry's global id.")
    body: str = strawberry.field(description="The text of the new version, at most 100000 characters.")


@strawberry.input(description="A measurement to record in a dossier.")
class RecordMeasurementInput:
    dossier_id: strawberry.ID = strawberry.field(description="The dossier's global id.")
    metric: str = strawberry.field(description="What was measured, e.g. \"weight\"; at most 100 characters.")
    value: Decimal = strawberry.field(description="The exact value, e.g. \"72.5\": at most 6 decimals, less than "
                                                  "10^12 in size.")
    unit: str = strawberry.field(description="Its unit, e.g. \"kg\"; at most 32 characters.")
    measured_at: datetime = strawberry.field(description="When it was measured, with its UTC offset: not more than a "
                                                         "day ahead, not before 1900.")


@strawberry.type(description="The dossier after the mutation, or why not.")
class DossierPayload:
    dossier: Optional[Dossier] = strawberry.field(default=None, description="The dossier as it is now.")
    user_errors: list[UserError] = strawberry.field(default_factory=list,
                                                    description="What the caller can fix; empty on success.")
    quote: QuoteField = strawberry.field(default=None, description=QUOTE_ON_LIMIT)


@strawberry.type(description="Which dossier was erased, or why not.")
class DeleteDossierPayload:
    deleted_dossier_id: Optional[strawberry.ID] = strawberry.field(default=None, description="The erased dossier's "
                                                                                            "global id.")
    user_errors: list[UserError] = strawberry.field(default_factory=list,
                                                    description="What the caller can fix; empty on success.")


@strawberry.type(description="The entry with the version just written, or why not.")
class EntryPayload:
    entry: Optional[Entry] = strawberry.field(default=None, description="The entry as it is now.")
    user_errors: list[UserError] = strawberry.field(default_factory=list,
                                                    description="What the caller can fix; empty on success.")
    quote: QuoteField = strawberry.field(default=None, description=QUOTE_ON_LIMIT)


@strawberry.type(description="The measurement recorded, or why not.")
class MeasurementPayload:
    measurement: Optional[Measurement] = strawberry.field(default=None, description="The measurement.")
    user_errors: list[UserError] = strawberry.field(default_factory=list,
                                                    description="What the caller can fix; empty on success.")
    quote: QuoteField = strawberry.field(default=None, description=QUOTE_ON_LIMIT)


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
    @strawberry.mutation(extensions=requires(Scope.DOSSIERS_WRITE), description=(
        "Create a client's dossier in the account the token acts in; a member who creates one is assigned to "
        "it. A content write: the dossier is active this month, within the tier's cap. "
        "Teammates and the account's machine credentials (dossiers:write); else FORBIDDEN. userErrors: "
        "INVALID_INPUT, ACTIVE_CLIENT_LIMIT_REACHED with a quote, ACCOUNT_READ_ONLY."))
    async def create_dossier(self, info: Info, input: Annotated[CreateDossierInput, strawberry.argument(
            description="The client's profile.")]) -> DossierPayload:
        ctx = info.context
        return await mutate(info, DossierPayload, lambda: service.create_dossier(
            ctx.actor, client_name=input.client_name, reference=input.reference,
            date_of_birth=input.date_of_birth, free_fields=_pairs(input.free_fields),
            now=ctx.now, catalog=ctx.catalog), _dossier)

    @strawberry.mutation(extensions=requires(Scope.DOSSIERS_WRITE), description=(
        "Edit the client's profile; only the fields sent change. A content write when something changes "
        "(it makes the dossier active this month); sending the values already stored changes nothing. " + WRITERS + " userErrors: NOT_FOUND "
        "(dossierId), INVALID_INPUT, DOSSIER_ARCHIVED, ACTIVE_CLIENT_LIMIT_REACHED with a quote, "
        "ACCOUNT_READ_ONLY."))
    async def update_dossier(self, info: Info, input: Annotated[UpdateDossierInput, strawberry.argument(
            description="The dossier and the changes.")]) -> DossierPayload:
        ctx = info.context
        return await mutate(info, DossierPayload, lambda: service.update_dossier(
            ctx.actor, _dossier_id(input.dossier_id), client_name=_keep(input.client_name),
            reference=_keep(input.reference), date_of_birth=_keep(input.date_of_birth),
            free_fields=service.KEEP if input.free_fields is strawberry.UNSET else _pairs(input.free_fields),
            now=ctx.now, catalog=ctx.catalog), _dossier)

    @strawberry.mutation(extensions=requires(Scope.DOSSIERS_WRITE), description=(
        "Archive a dossier: hidden from default lists and read-only; nothing is deleted. Not a content write "
        ". Teammates who may write it, not share holders (else FORBIDDEN). userErrors: NOT_FOUND (dossierId), "
        "DOSSIER_ARCHIVED (archived already), ACCOUNT_READ_ONLY."))
    async def archive_dossier(self, info: Info, input: Annotated[ArchiveDossierInput, strawberry.argument(
            description="The dossier.")]) -> DossierPayload:
        ctx = info.context
        return await mutate(info, DossierPayload, lambda: service.archive_dossier(
            ctx.actor, _dossier_id(input.dossier_id), now=ctx.now, catalog=ctx.catalog), _dossier)

    @strawberry.mutation(extensions=requires(Scope.DOSSIERS_WRITE), description=(
        "Bring an archived dossier back into the lists and open it to writes again. Not a content write "
        "; a dossier that is not archived is left as it is. Owners and admins of its account (else "
        "FORBIDDEN). Audited. userErrors: NOT_FOUND (dossierId), ACCOUNT_READ_ONLY."))
    async def unarchive_dossier(self, info: Info, input: Annotated[UnarchiveDossierInput, strawberry.argument(
            description="The dossier.")]) -> DossierPayload:
        ctx = info.context
        return await mutate(info, DossierPayload, lambda: service.unarchive_dossier(
            ctx.actor, _dossier_id(input.dossier_id), now=ctx.now, catalog=ctx.catalog), _dossier)

    @strawberry.mutation(extensions=requires(Scope.DOSSIERS_WRITE), description=(
        "Erase a dossier and all its content: the client's right to erasure. Its shares end. The access log "
        " and the month's active-client count stay: they hold no content. Also when archived, and after "
        "cancellation. Owners of its account (else FORBIDDEN). Audited with the dossier's id only. "
        "userErrors: NOT_FOUND (dossierId)."))
    async def delete_dossier(self, info: Info, input: Annotated[DeleteDossierInput, strawberry.argument(
            description="The dossier.")]) -> DeleteDossierPayload:
        ctx = info.context
        return await mutate(info, DeleteDossierPayload, lambda: service.delete_dossier(
            ctx.actor, _dossier_id(input.dossier_id), now=ctx.now),
            lambda pk: {"deleted_dossier_id": strawberry.ID(to_global_id("Dossier", pk))})

    @strawberry.mutation(extensions=requires(Scope.DOSSIERS_WRITE, Scope.TEAMMATES_MANAGE), description=(
        "Let a teammate of the dossier's account work on it; assigning twice is harmless. Not a content "
        "write. Owners and admins (dossiers:write, teammates:manage). userErrors: NOT_FOUND (dossierId, "
        "teammateId), DOSSIER_ARCHIVED, ACCOUNT_READ_ONLY."))
    async def assign_teammate(self, info: Info, input: Annotated[AssignTeammateInput, strawberry.argument(
            description="The dossier and the teammate.")]) -> DossierPayload:
        ctx = info.context
        return await mutate(info, DossierPayload, lambda: service.assign_teammate(
            ctx.actor, _dossier_id(input.dossier_id),
            from_global_id(input.teammate_id, "Teammate", field="teammateId"),
            now=ctx.now, catalog=ctx.catalog), _dossier)

    @strawberry.mutation(extensions=requires(Scope.DOSSIERS_WRITE, Scope.TEAMMATES_MANAGE), description=(
        "Take a teammate off a dossier: a member no longer sees it from their next request. Owners and "
        "admins (dossiers:write, teammates:manage). userErrors: NOT_FOUND (dossierId, teammateId), "
        "DOSSIER_ARCHIVED, ACCOUNT_READ_ONLY."))
    async def unassign_teammate(self, info: Info, input: Annotated[UnassignTeammateInput, strawberry.argument(
            description="The dossier and the teammate.")]) -> DossierPayload:
        ctx = info.context
        return await mutate(info, DossierPayload, lambda: service.unassign_teammate(
            ctx.actor, _dossier_id(input.dossier_id),
            from_global_id(input.teammate_id, "Teammate", field="teammateId"),
            now=ctx.now, catalog=ctx.catalog), _dossier)

    @strawberry.mutation(extensions=requires(Scope.DOSSIERS_WRITE), description=(
        "Add a note, report, recommendation or meal plan as version 1, with its author and time. A "
        "content write. " + WRITERS + " userErrors: NOT_FOUND (dossierId), INVALID_INPUT, "
        "DOSSIER_ARCHIVED, ACTIVE_CLIENT_LIMIT_REACHED with a quote, ACCOUNT_READ_ONLY."))
    async def add_entry(self, info: Info, input: Annotated[AddEntryInput, strawberry.argument(
            description="The dossier, the kind and the text.")]) -> EntryPayload:
        ctx = info.context
        return await mutate(info, EntryPayload, lambda: entries.add_entry(
            ctx.actor, _dossier_id(input.dossier_id), kind=input.kind.value, body=input.body,
            now=ctx.now, catalog=ctx.catalog), _entry)

    @strawberry.mutation(extensions=requires(Scope.DOSSIERS_WRITE), description=(
        "Write a new version of an entry, with its author and time; every earlier version stays as it was. "
        "A content write. " + WRITERS + " userErrors: NOT_FOUND (entryId), INVALID_INPUT, "
        "DOSSIER_ARCHIVED, ACTIVE_CLIENT_LIMIT_REACHED with a quote, ACCOUNT_READ_ONLY."))
    async def revise_entry(self, info: Info, input: Annotated[ReviseEntryInput, strawberry.argument(
            description="The entry and its new text.")]) -> EntryPayload:
        ctx = info.context
        return await mutate(info, EntryPayload, lambda: entries.revise_entry(
            ctx.actor, from_global_id(input.entry_id, "Entry", field="entryId"), body=input.body,
            now=ctx.now, catalog=ctx.catalog), _entry)

    @strawberry.mutation(extensions=requires(Scope.DOSSIERS_WRITE), description=(
        "Record a measurement with its author. A content write. " + WRITERS + " userErrors: "
        "NOT_FOUND (dossierId), INVALID_INPUT (metric, value, unit, measuredAt), DOSSIER_ARCHIVED, "
        "ACTIVE_CLIENT_LIMIT_REACHED with a quote, ACCOUNT_READ_ONLY."))
    async def record_measurement(self, info: Info, input: Annotated[RecordMeasurementInput, strawberry.argument(
            description="The dossier and the measurement.")]) -> MeasurementPayload:
        ctx = info.context
        return await mutate(info, MeasurementPayload, lambda: measurements.record_measurement(
            ctx.actor, _dossier_id(input.dossier_id), metric=input.metric, value=input.value,
            unit=input.unit, measured_at=input.measured_at, now=ctx.now, catalog=ctx.catalog),
            lambda row: {"measurement": Measurement.from_model(row)})
