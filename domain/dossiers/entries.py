"""Entries: notes, reports, recommendations, meal plans. Never overwritten (D5): the
text lives in revisions, each a new version with its author (user id and the email at
the time) and the time written. Adding and revising are content writes (A1)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.expressions import F

from domain.billing.catalog import Catalog
from domain.billing.terms import quotes_lift
from domain.core.actor import Actor
from infra.db import returning, transaction
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
        entry = await _new_entry(conn, dossier.account_id, dossier.id, kind, now)
        revision = await _new_revision(conn, entry, text, actor, now)
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


# The first version is written with plain SQL, the same two inserts the ORM makes:
# adding an entry is a hot write, and building tortoise's insert cost more than running it.
_INSERT_ENTRY = ('INSERT INTO "entry" ("account_id", "dossier_id", "kind", "current_version", "created_at") '
                 'VALUES ($1, $2, $3, 1, $4) RETURNING "id"')
_INSERT_REVISION = ('INSERT INTO "entry_revision" ("account_id", "entry_id", "version", "body", "author_user_id", '
                    '"author_email", "written_at") VALUES ($1, $2, 1, $3, $4, $5, $6) RETURNING "id"')


async def _new_entry(conn, account_id: int, dossier_id: int, kind: str, now: datetime) -> Entry:
    rows = await returning(conn, _INSERT_ENTRY, [account_id, dossier_id, kind, now])
    return _stored(Entry(id=rows[0]["id"], account_id=account_id, dossier_id=dossier_id, kind=kind,
                         current_version=1, created_at=now))


async def _new_revision(conn, entry: Entry, body: str, actor: Actor, now: datetime) -> EntryRevision:
    rows = await returning(conn, _INSERT_REVISION,
                           [entry.account_id, entry.id, body, actor.user_id, actor.email, now])
    return _stored(EntryRevision(id=rows[0]["id"], account_id=entry.account_id, entry_id=entry.id, version=1,
                                 body=body, author_user_id=actor.user_id, author_email=actor.email,
                                 written_at=now))


def _stored(model: Any) -> Any:
    model._saved_in_db = True  # as the ORM marks what it inserted: a later save updates
    return model


async def _write_revision(entry: Entry, version: int, body: str, actor: Actor, now: datetime) -> EntryRevision:
    return await EntryRevision.create(account_id=entry.account_id, entry_id=entry.id, version=version,
                                      body=body, author_user_id=actor.user_id,
                                      author_email=actor.email, written_at=now)
