"""Entries: notes, reports, recommendations, meal plans. Never overwritten (D5): the
text lives in revisions, each a new version with its author (user id and the email at
the time) and the time written. Adding and revising are content writes (A1)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import F

from domain.billing.catalog import Catalog
from domain.billing.terms import Terms, quotes_lift
from domain.core.actor import Actor
from infra.clock import month_key
from infra.db import dialect, returning, transaction
from domain.core.errors import InvalidInput
from domain.core.validation import MAX_BODY, clean_text
from domain.dossiers.access import writable_access, writable_entry_dossier
from domain import events
from domain.dossiers.activity import activate, count_active, mark_active_sql, writing_account
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
        dossier = (await writable_access(actor, dossier_id)).row
        writing = await writing_account(dossier.account_id, now=now, catalog=catalog)
        if dialect(conn) == "postgres":
            written = await _first_version_marking_active(conn, writing, dossier.id, kind, text, actor, now, catalog)
        else:
            entry = await _new_entry(conn, dossier.account_id, dossier.id, kind, now)
            written = WrittenEntry(entry, await _new_revision(conn, entry, text, actor, now))
            await activate(conn, writing, dossier.id, now=now, catalog=catalog)
        await events.announce(events.ENTRY_ADDED, account_id=dossier.account_id, now=now,
                              dossierId=("Dossier", dossier.id), entryId=("Entry", written.entry.id))
        return written


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
# On PostgreSQL the same two inserts and the dossier's activation (activity.activate's
# first step) are one statement: three round trips of the hottest write become one.
_INSERT_FIRST_VERSION = (
    f'WITH e AS ({_INSERT_ENTRY}), '
    f'r AS (INSERT INTO "entry_revision" ("account_id", "entry_id", "version", "body", "author_user_id", '
    f'"author_email", "written_at") VALUES ($1, (SELECT "id" FROM e), 1, $5, $6, $7, $4) RETURNING "id"), '
    f'a AS ({mark_active_sql("$1", "$8", "$2", "$4")}) '
    f'SELECT e."id" AS entry_id, r."id" AS revision_id, EXISTS (SELECT 1 FROM a) AS marked FROM e, r')


async def _new_entry(conn, account_id: int, dossier_id: int, kind: str, now: datetime) -> Entry:
    rows = await returning(conn, _INSERT_ENTRY, [account_id, dossier_id, kind, now])
    return _entry(rows[0]["id"], account_id, dossier_id, kind, now)


async def _new_revision(conn, entry: Entry, body: str, actor: Actor, now: datetime) -> EntryRevision:
    rows = await returning(conn, _INSERT_REVISION,
                           [entry.account_id, entry.id, body, actor.user_id, actor.email, now])
    return _revision(rows[0]["id"], entry, body, actor, now)


async def _first_version_marking_active(conn, writing: Terms, dossier_id: int, kind: str, body: str, actor: Actor,
                                        now: datetime, catalog: Catalog) -> WrittenEntry:
    account_id, month = writing.account_id, month_key(now, writing.time_zone)
    row = (await returning(conn, _INSERT_FIRST_VERSION,
                           [account_id, dossier_id, kind, now, body, actor.user_id, actor.email, month]))[0]
    entry = _entry(row["entry_id"], account_id, dossier_id, kind, now)
    written = WrittenEntry(entry, _revision(row["revision_id"], entry, body, actor, now))
    await count_active(conn, writing, month, marked=row["marked"], now=now, catalog=catalog)
    return written


# As the ORM reads stored rows back (a later save updates them), without checking each
# value again: they are the values just inserted.
def _entry(entry_id: int, account_id: int, dossier_id: int, kind: str, now: datetime) -> Entry:
    return Entry._init_from_db(id=entry_id, account_id=account_id, dossier_id=dossier_id, kind=kind,
                               current_version=1, created_at=now)


def _revision(revision_id: int, entry: Entry, body: str, actor: Actor, now: datetime) -> EntryRevision:
    return EntryRevision._init_from_db(id=revision_id, account_id=entry.account_id, entry_id=entry.id, version=1,
                                       body=body, author_user_id=actor.user_id, author_email=actor.email,
                                       written_at=now)


async def _write_revision(entry: Entry, version: int, body: str, actor: Actor, now: datetime) -> EntryRevision:
    return await EntryRevision.create(account_id=entry.account_id, entry_id=entry.id, version=version,
                                      body=body, author_user_id=actor.user_id,
                                      author_email=actor.email, written_at=now)
