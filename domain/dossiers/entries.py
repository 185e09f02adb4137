"""Entries: notes, reports, recommendations, meal plans. Never overwritten (D5): the
text lives in revisions, each a new version with its author (user id and the email at
the time) and the time written. Adding and revising are content writes (A1)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import F

from domain.billing.catalog import Catalog
from domain.billing.terms import quotes_lift
from domain.core.actor import Actor
from infra.db import transaction
from domain.core.errors import InvalidInput
from domain.core.validation import MAX_BODY, clean_text
from domain.dossiers.access import writable_dossier, writable_entry_dossier
from domain import events
from domain.dossiers.activity import activate, writing_account
from domain.dossiers.models import Entry, EntryRevision

ENTRY_KINDS = ("NOTE", "REPORT", "RECOMMENDATION", "MEAL_PLAN")


@dataclass(frozen=True)
class WrittenEntry:
    entry: Entry
    revision: EntryRevision


def _body(raw: str | None) -> str:
    return clean_text(raw, field="body", max_length=MAX_BODY)


@quotes_lift
async def add_entry(actor: Actor, dossier_id: int, *, kind: str, body: str, now: datetime,
                    catalog: Catalog) -> WrittenEntry:
    if kind not in ENTRY_KINDS:
        raise InvalidInput(f"Unknown entry kind {kind!r}.", field=("kind",))
    text = _body(body)
    async with transaction() as conn:
        dossier = await writable_dossier(actor, dossier_id)
        writing = await writing_account(dossier.account_id, now=now, catalog=catalog)
        entry = await Entry.create(account_id=dossier.account_id, dossier_id=dossier.id, kind=kind,
                                   current_version=1, created_at=now)
        revision = await _write_revision(entry, 1, text, actor, now)
        await activate(conn, writing, dossier.id, now=now, catalog=catalog)
        await events.announce(events.ENTRY_ADDED, account_id=dossier.account_id, now=now,
                              dossierId=("Dossier", dossier.id), entryId=("Entry", entry.id))
        return WrittenEntry(entry, revision)


@quotes_lift
async def revise_entry(actor: Actor, entry_id: int, *, body: str, now: datetime,
                       catalog: Catalog) -> WrittenEntry:
    """A new version; every earlier one stays as it was (D5)."""
    text = _body(body)
    async with transaction() as conn:
        dossier = await writable_entry_dossier(actor, entry_id)
        writing = await writing_account(dossier.account_id, now=now, catalog=catalog)
        # The increment locks the entry row on PostgreSQL, so racing revisions get
        # consecutive versions instead of colliding.
        await Entry.filter(id=entry_id).update(current_version=F("current_version") + 1)
        entry = await Entry.get(id=entry_id)
        revision = await _write_revision(entry, entry.current_version, text, actor, now)
        await activate(conn, writing, dossier.id, now=now, catalog=catalog)
        await events.announce(events.ENTRY_REVISED, account_id=dossier.account_id, now=now,
                              dossierId=("Dossier", dossier.id), entryId=("Entry", entry.id))
        return WrittenEntry(entry, revision)


async def _write_revision(entry: Entry, version: int, body: str, actor: Actor, now: datetime) -> EntryRevision:
    return await EntryRevision.create(account_id=entry.account_id, entry_id=entry.id, version=version,
                                      body=body, author_user_id=actor.user_id,
                                      author_email=actor.email, written_at=now)
