"""Dossiers themselves: creating, editing the client's profile, archiving, erasing, and
assigning teammates (D1, D2, D6). Each call is one transaction; content writes also
mark the dossier active this month (A1) in that same transaction."""
from __future__ import annotations

import contextlib
from datetime import date, datetime
from typing import Any

from auth import policy
from domain.accounts.models import Membership
from domain.audit.service import AuditAction, record
from domain.billing.catalog import Catalog
from domain.billing.terms import quotes_lift
from domain.core.actor import Actor
from infra.db import transaction
from domain.core.errors import Forbidden, InvalidInput, NotFound
from domain.core.validation import MAX_NAME, clean_name, clean_text
from domain.dossiers.access import guard, managed_dossier, visible_dossier, writable_dossier
from domain import events
from domain.dossiers import erasure_hooks
from domain.dossiers.activity import activate, writing_account
from domain.dossiers.finding import search_text
from domain.dossiers.models import Dossier, DossierAssignment

MAX_REFERENCE = 100
EARLIEST_BIRTH = date(1880, 1, 1)
MAX_FREE_FIELDS = 30
MAX_FREE_FIELD_NAME = 100
MAX_FREE_FIELD_VALUE = 2000


class _Keep:
    """An update field the caller did not send: leave the stored value as it is."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Any = _Keep()


def _client_name(raw: str | None) -> str:
    """A name a person reads (I6), checked as every other name is."""
    return clean_name(raw, field="clientName", max_length=MAX_NAME)


def _reference(raw: str | None) -> str | None:
    return clean_text(raw, field="reference", max_length=MAX_REFERENCE, required=False)


def _free_fields(pairs: list[tuple[str, str]] | None) -> list[dict[str, str]]:
    """The profile's free fields (D1): named text values, in the order given, names
    unique regardless of case. Sending a list replaces the stored one."""
    fields: list[dict[str, str]] = []
    seen: set[str] = set()
    for name, value in pairs or []:
        clean_name = clean_text(name, field="freeFields", max_length=MAX_FREE_FIELD_NAME)
        clean_value = clean_text(value, field="freeFields", max_length=MAX_FREE_FIELD_VALUE)
        if clean_name.casefold() in seen:
            raise InvalidInput(f"The free field {clean_name!r} is given twice.", field=("freeFields",))
        seen.add(clean_name.casefold())
        fields.append({"name": clean_name, "value": clean_value})
    if len(fields) > MAX_FREE_FIELDS:
        raise InvalidInput(f"At most {MAX_FREE_FIELDS} free fields.", field=("freeFields",))
    return fields


def _date_of_birth(value: date | None, today: date) -> date | None:
    """Optional; never after today in the account's zone, nor absurdly long ago."""
    if value is None:
        return None
    if value > today:
        raise InvalidInput("The date of birth cannot be in the future.", field=("dateOfBirth",))
    if value < EARLIEST_BIRTH:
        raise InvalidInput("The date of birth is too long ago.", field=("dateOfBirth",))
    return value


@quotes_lift
async def create_dossier(actor: Actor, *, client_name: str, reference: str | None = None,
                         date_of_birth: date | None = None, free_fields: list[tuple[str, str]] | None = None,
                         now: datetime, catalog: Catalog) -> Dossier:
    """A new dossier in the account the actor works in. A member who creates one is
    assigned to it, or they could not see what they just made (D2)."""
    if actor.account_id is None or not policy.may_do(actor, "dossier", "create", policy.Facts(actor.account_id)):
        raise Forbidden("Only teammates of an account can create its dossiers.")
    name, ref, extra = _client_name(client_name), _reference(reference), _free_fields(free_fields)
    async with transaction() as conn:
        writing = await writing_account(actor.account_id, now=now, catalog=catalog)
        birth = _date_of_birth(date_of_birth, writing.today)
        dossier = await Dossier.create(account_id=actor.account_id, client_name=name, reference=ref,
                                       search_text=search_text(name, ref), date_of_birth=birth,
                                       free_fields=extra, share_count=0, created_at=now, updated_at=now)
        if policy.dossier_relation(actor, actor.account_id, False, None) is not policy.Relation.ACCOUNT:
            await DossierAssignment.create(account_id=actor.account_id, dossier_id=dossier.id,
                                           membership_id=actor.membership_id, created_at=now)
        await activate(conn, writing, dossier.id, now=now, catalog=catalog)
        await events.announce(events.DOSSIER_CREATED, account_id=dossier.account_id, now=now,
                              dossierId=("Dossier", dossier.id))
        return dossier


@quotes_lift
async def update_dossier(actor: Actor, dossier_id: int, *, client_name: Any = KEEP, reference: Any = KEEP,
                         date_of_birth: Any = KEEP, free_fields: Any = KEEP, now: datetime,
                         catalog: Catalog) -> Dossier:
    """Edit the profile. Only fields sent change; `reference` and `dateOfBirth` may be
    cleared with null. Sending the values already stored changes (and activates) nothing."""
    changes: dict[str, Any] = {}
    if client_name is not KEEP:
        changes["client_name"] = _client_name(client_name)
    if reference is not KEEP:
        changes["reference"] = _reference(reference)
    if free_fields is not KEEP:
        changes["free_fields"] = _free_fields(free_fields)
    async with transaction() as conn:
        dossier = await writable_dossier(actor, dossier_id)
        writing = await writing_account(dossier.account_id, now=now, catalog=catalog)
        if date_of_birth is not KEEP:
            changes["date_of_birth"] = _date_of_birth(date_of_birth, writing.today)
        changed = {key: value for key, value in changes.items() if getattr(dossier, key) != value}
        if not changed:
            return dossier
        for key, value in changed.items():
            setattr(dossier, key, value)
        if "client_name" in changed or "reference" in changed:
            # What the dossier is found by follows its name and reference (D7).
            dossier.search_text = search_text(dossier.client_name, dossier.reference)
            changed["search_text"] = dossier.search_text
        dossier.updated_at = now
        await dossier.save(update_fields=[*changed, "updated_at"])
        await activate(conn, writing, dossier.id, now=now, catalog=catalog)
        await events.announce(events.DOSSIER_UPDATED, account_id=dossier.account_id, now=now,
                              dossierId=("Dossier", dossier.id))
        return dossier


async def archive_dossier(actor: Actor, dossier_id: int, *, now: datetime, catalog: Catalog) -> Dossier:
    """Hide from default lists and block writes; nothing is deleted (D6). Teammates working
    on the dossier can archive it, and the same people un-archive it; share holders
    cannot. A second archive answers DOSSIER_ARCHIVED. Not a content write (A1)."""
    async with transaction():
        dossier = guard(await visible_dossier(actor, dossier_id), "dossier", "archive").dossier
        await writing_account(dossier.account_id, now=now, catalog=catalog)
        dossier.archived_at = now
        dossier.updated_at = now
        await dossier.save(update_fields=["archived_at", "updated_at"])
        await events.announce(events.DOSSIER_ARCHIVED, account_id=dossier.account_id, now=now,
                              dossierId=("Dossier", dossier.id))
        return dossier


async def unarchive_dossier(actor: Actor, dossier_id: int, *, now: datetime, catalog: Catalog) -> Dossier:
    """Bring an archived dossier back into the lists and open it to writes again (D6):
    whoever may archive it. Audited; not a content write, so it does not make the dossier
    active this month (A1). A dossier that is not archived answers DOSSIER_NOT_ARCHIVED,
    as a second archive answers DOSSIER_ARCHIVED."""
    async with transaction():
        dossier = guard(await visible_dossier(actor, dossier_id), "dossier", "unarchive").dossier
        await writing_account(dossier.account_id, now=now, catalog=catalog)
        archived_at = dossier.archived_at
        dossier.archived_at = None
        dossier.updated_at = now
        await dossier.save(update_fields=["archived_at", "updated_at"])
        await record(AuditAction.DOSSIER_UNARCHIVED, now=now, account_id=dossier.account_id,
                     actor_user_id=actor.user_id, subject=f"dossier:{dossier.id}",
                     detail={"archivedAt": archived_at.isoformat()})
        await events.announce(events.DOSSIER_UPDATED, account_id=dossier.account_id, now=now,
                              dossierId=("Dossier", dossier.id))
        return dossier


async def delete_dossier(actor: Actor, dossier_id: int, *, now: datetime) -> int:
    """Erase a client's dossier and all its content (the right to erasure, D6): an owner's
    explicit action, audited with the dossier's id only. Allowed on archived dossiers and
    on cancelled accounts too, since erasure is a legal right. The access log (P2) and
    the month's active-client rows (ids only) stay: they hold no content, and the count
    of a month must not drop by erasing."""
    async with transaction() as conn:
        dossier = guard(await visible_dossier(actor, dossier_id), "dossier", "delete").dossier
        # The dossier row is locked first: the lock order of every write to its shares.
        await Dossier.filter(id=dossier.id).select_for_update().first()
        detail: dict[str, Any] = {}
        async with contextlib.AsyncExitStack() as around:
            for listener in erasure_hooks.listeners():
                detail.update(await around.enter_async_context(listener(conn, dossier.id, now, actor.user_id)))
            await dossier.delete()  # entries, revisions, measurements, assignments, shares cascade
        await record(AuditAction.DOSSIER_DELETED, now=now, account_id=dossier.account_id,
                     actor_user_id=actor.user_id, subject=f"dossier:{dossier.id}", detail=detail)
        await events.announce(events.DOSSIER_DELETED, account_id=dossier.account_id, now=now,
                              dossierId=("Dossier", dossier.id))
        return dossier.id


async def assign_teammate(actor: Actor, dossier_id: int, membership_id: int, *, now: datetime,
                          catalog: Catalog) -> Dossier:
    """Let a teammate of the dossier's account work on it (D2). Owners and admins only;
    assigning twice is harmless. Not a content write (A1)."""
    async with transaction():
        dossier = await _dossier_for_assignment(actor, dossier_id, now=now, catalog=catalog)
        teammate = await _teammate(dossier, membership_id)
        if not await DossierAssignment.exists(dossier_id=dossier.id, membership_id=teammate.id):
            await DossierAssignment.create(account_id=dossier.account_id, dossier_id=dossier.id,
                                           membership_id=teammate.id, created_at=now)
        return dossier


async def unassign_teammate(actor: Actor, dossier_id: int, membership_id: int, *, now: datetime,
                            catalog: Catalog) -> Dossier:
    """The way back: the member no longer sees the dossier (from their next request)."""
    async with transaction():
        dossier = await _dossier_for_assignment(actor, dossier_id, now=now, catalog=catalog)
        teammate = await _teammate(dossier, membership_id)
        await DossierAssignment.filter(dossier_id=dossier.id, membership_id=teammate.id).delete()
        return dossier


async def _dossier_for_assignment(actor: Actor, dossier_id: int, *, now: datetime, catalog: Catalog) -> Dossier:
    dossier = await managed_dossier(actor, dossier_id)
    if dossier.archived_at is not None:
        raise DossierArchived()
    await writing_account(dossier.account_id, now=now, catalog=catalog)
    return dossier


async def _teammate(dossier: Dossier, membership_id: int) -> Membership:
    teammate = await Membership.get_or_none(id=membership_id, account_id=dossier.account_id)
    if teammate is None:
        raise NotFound("teammate", field=("teammateId",))
    return teammate
