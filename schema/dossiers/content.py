"""Entries and measurements of a dossier as GraphQL types (D1, D5), and how a read of
content is recorded in the access log (P2).

Every content field records the read (one batched insert per request), but only waits
for it while it is pending: once it is done, content fields answer synchronously. A
sync resolver may return an awaitable; graphql-core awaits it, so on a page only the
dossiers' first fields are async, and entries (read after the insert) never are.

Permissions: an Entry or Measurement is only ever handed out behind a `dossiers:read`
check (Dossier.entries/measurements, `node`) or a `dossiers:write` mutation (whose
holders all read too), so their scalars carry no check of their own (it would run once
per scalar)."""
from __future__ import annotations

import asyncio
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Awaitable, Callable, Optional, TypeVar

import strawberry

from auth.permissions import requires
from auth.scopes import Scope
from domain.dossiers import queries
from domain.dossiers.models import Entry as EntryRow
from domain.dossiers.models import EntryRevision as EntryRevisionRow
from domain.dossiers.models import Measurement as MeasurementRow
from domain.dossiers.reads import record_reads
from schema.accounts.types import Node
from schema.context import Info
from schema.relay import to_global_id

T = TypeVar("T")
_NOTED = "dossiers.reads_noted"  # key in Context.services: dossier id → its access-log insert


@strawberry.enum(name="EntryKind")
class EntryKind(Enum):
    NOTE = "NOTE"
    REPORT = "REPORT"
    RECOMMENDATION = "RECOMMENDATION"
    MEAL_PLAN = "MEAL_PLAN"


def note_read(info: Info, dossier_id: int, account_id: int) -> Optional[Awaitable[None]]:
    """Record that the principal read this dossier's content (P2): one batched insert
    per request for all dossiers read. Returns the insert while it is pending or if it
    failed (the caller awaits it: no content before the read is on record), None once
    it is done: nothing to wait for."""
    ctx = info.context
    noted: dict[int, asyncio.Future] = ctx.services.setdefault(_NOTED, {})
    insert = noted.get(dossier_id)
    if insert is None:
        insert = noted[dossier_id] = ctx.loader(record_reads).load(
            (dossier_id, account_id, ctx.actor.user_id, ctx.now))
    elif insert.done() and not insert.cancelled() and insert.exception() is None:
        return None
    # Shielded: graphql-core cancels a field's siblings when one fails, and the
    # DataLoader cancels a batch whose callers all went away, which would stop the
    # insert midway (and tortoise then leaves its transaction open).
    return asyncio.shield(insert)


def shown(info: Info, dossier_id: int, account_id: int, value: T) -> T | Awaitable[T]:
    """`value`, shown once its dossier's read is recorded: the value itself when it
    already is (the field stays sync), else an awaitable of it."""
    pending = note_read(info, dossier_id, account_id)
    return value if pending is None else _after(pending, value)


async def _after(pending: Awaitable[None], value: T) -> T:
    await pending
    return value


@strawberry.type
class Author:
    """Who wrote a version, as they were then (D5): the email is the one at the time."""

    user_id: strawberry.ID
    email: str

    @classmethod
    def of(cls, user_id: int, email: str) -> "Author":
        return cls(user_id=strawberry.ID(to_global_id("User", user_id)), email=email)


@strawberry.type
class EntryRevision:
    row: strawberry.Private[EntryRevisionRow]

    @strawberry.field
    def version(self) -> int:
        return self.row.version

    @strawberry.field
    def body(self) -> str:
        return self.row.body

    @strawberry.field
    def author(self) -> Author:
        return Author.of(self.row.author_user_id, self.row.author_email)

    @strawberry.field
    def written_at(self) -> datetime:
        return self.row.written_at


@strawberry.type
class Entry(Node):
    """The current version's text, author and time; `revisions` holds them all."""

    row: strawberry.Private[EntryRow]
    # Loaded with the entry page, or at hand in the mutation that wrote it; else loaded.
    current: strawberry.Private[Optional[EntryRevisionRow]] = None

    def _shown(self, info: Info, pick: Callable[[EntryRevisionRow], T]) -> T | Awaitable[T]:
        """A value of the current version; sync when it is at hand and the read recorded."""
        pending = note_read(info, self.row.dossier_id, self.row.account_id)
        if pending is None and self.current is not None:
            return pick(self.current)
        return self._shown_later(info, pending, pick)

    async def _shown_later(self, info: Info, pending: Optional[Awaitable[None]],
                           pick: Callable[[EntryRevisionRow], T]) -> T:
        if pending is not None:
            await pending
        if self.current is None:
            key = (self.row.id, self.row.current_version)
            self.current = await info.context.loader(queries.revisions_by_version).load(key)
        return pick(self.current)

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Entry", self.row.id))

    @strawberry.field
    def kind(self) -> EntryKind:
        return EntryKind(self.row.kind)

    @strawberry.field
    def body(self, info: Info) -> str:
        return self._shown(info, _body)

    @strawberry.field
    def version(self) -> int:
        return self.row.current_version

    @strawberry.field
    def author(self, info: Info) -> Author:
        return self._shown(info, _author)

    @strawberry.field
    def written_at(self, info: Info) -> datetime:
        return self._shown(info, _written_at)

    @strawberry.field(extensions=requires(Scope.DOSSIERS_READ))
    async def revisions(self, info: Info) -> list[EntryRevision]:
        """Every version, oldest first (D5)."""
        pending = note_read(info, self.row.dossier_id, self.row.account_id)
        if pending is not None:
            await pending
        rows = await info.context.loader(queries.revisions_by_entry).load(self.row.id)
        return [EntryRevision(row=row) for row in rows]

    @classmethod
    def from_model(cls, row: EntryRow, current: EntryRevisionRow | None = None) -> "Entry":
        return cls(row=row, current=current)


def _body(revision: EntryRevisionRow) -> str:
    return revision.body


def _author(revision: EntryRevisionRow) -> Author:
    return Author.of(revision.author_user_id, revision.author_email)


def _written_at(revision: EntryRevisionRow) -> datetime:
    return revision.written_at


def _decimal(value: Any) -> Decimal:
    value = Decimal(value).normalize()
    return Decimal(format(value, "f"))  # "72.5", not "72.500000" or "1E+2"


@strawberry.type
class Measurement(Node):
    row: strawberry.Private[MeasurementRow]

    def _shown(self, info: Info, value: T) -> T | Awaitable[T]:
        return shown(info, self.row.dossier_id, self.row.account_id, value)

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Measurement", self.row.id))

    @strawberry.field
    def metric(self, info: Info) -> str:
        return self._shown(info, self.row.metric)

    @strawberry.field
    def value(self, info: Info) -> Decimal:
        return self._shown(info, _decimal(self.row.value))

    @strawberry.field
    def unit(self, info: Info) -> str:
        return self._shown(info, self.row.unit)

    @strawberry.field
    def measured_at(self, info: Info) -> datetime:
        return self._shown(info, self.row.measured_at)

    @strawberry.field
    def author(self, info: Info) -> Author:
        return self._shown(info, Author.of(self.row.author_user_id, self.row.author_email))

    @classmethod
    def from_model(cls, row: MeasurementRow) -> "Measurement":
        return cls(row=row)
