"""Entries and measurements of a dossier as GraphQL types (D1, D5). Every content field
records a read of its dossier in the access log (P2) and needs `dossiers:read`."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Optional

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


@strawberry.enum(name="EntryKind")
class EntryKind(Enum):
    NOTE = "NOTE"
    REPORT = "REPORT"
    RECOMMENDATION = "RECOMMENDATION"
    MEAL_PLAN = "MEAL_PLAN"


async def note_read(info: Info, dossier_id: int, account_id: int) -> None:
    """Record that the principal read this dossier's content (P2); one insert per batch,
    deduplicated per request."""
    ctx = info.context
    await ctx.loader(record_reads).load((dossier_id, account_id, ctx.actor.user_id, ctx.now))


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
    # Set when the mutation that wrote it already has the current version at hand.
    current: strawberry.Private[Optional[EntryRevisionRow]] = None

    async def _current(self, info: Info) -> EntryRevisionRow:
        await note_read(info, self.row.dossier_id, self.row.account_id)
        if self.current is None:
            key = (self.row.id, self.row.current_version)
            self.current = await info.context.loader(queries.revisions_by_version).load(key)
        return self.current

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Entry", self.row.id))

    @strawberry.field
    def kind(self) -> EntryKind:
        return EntryKind(self.row.kind)

    @strawberry.field(extensions=requires(Scope.DOSSIERS_READ))
    async def body(self, info: Info) -> str:
        return (await self._current(info)).body

    @strawberry.field
    def version(self) -> int:
        return self.row.current_version

    @strawberry.field(extensions=requires(Scope.DOSSIERS_READ))
    async def author(self, info: Info) -> Author:
        current = await self._current(info)
        return Author.of(current.author_user_id, current.author_email)

    @strawberry.field(extensions=requires(Scope.DOSSIERS_READ))
    async def written_at(self, info: Info) -> datetime:
        return (await self._current(info)).written_at

    @strawberry.field(extensions=requires(Scope.DOSSIERS_READ))
    async def revisions(self, info: Info) -> list[EntryRevision]:
        """Every version, oldest first (D5)."""
        await note_read(info, self.row.dossier_id, self.row.account_id)
        rows = await info.context.loader(queries.revisions_by_entry).load(self.row.id)
        return [EntryRevision(row=row) for row in rows]

    @classmethod
    def from_model(cls, row: EntryRow, current: EntryRevisionRow | None = None) -> "Entry":
        return cls(row=row, current=current)


@strawberry.type
class Measurement(Node):
    row: strawberry.Private[MeasurementRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Measurement", self.row.id))

    @strawberry.field(extensions=requires(Scope.DOSSIERS_READ))
    async def metric(self, info: Info) -> str:
        await note_read(info, self.row.dossier_id, self.row.account_id)
        return self.row.metric

    @strawberry.field(extensions=requires(Scope.DOSSIERS_READ))
    async def value(self, info: Info) -> Decimal:
        await note_read(info, self.row.dossier_id, self.row.account_id)
        value = Decimal(self.row.value).normalize()
        return Decimal(format(value, "f"))  # "72.5", not "72.500000" or "1E+2"

    @strawberry.field(extensions=requires(Scope.DOSSIERS_READ))
    async def unit(self, info: Info) -> str:
        await note_read(info, self.row.dossier_id, self.row.account_id)
        return self.row.unit

    @strawberry.field(extensions=requires(Scope.DOSSIERS_READ))
    async def measured_at(self, info: Info) -> datetime:
        await note_read(info, self.row.dossier_id, self.row.account_id)
        return self.row.measured_at

    @strawberry.field(extensions=requires(Scope.DOSSIERS_READ))
    async def author(self, info: Info) -> Author:
        await note_read(info, self.row.dossier_id, self.row.account_id)
        return Author.of(self.row.author_user_id, self.row.author_email)

    @classmethod
    def from_model(cls, row: MeasurementRow) -> "Measurement":
        return cls(row=row)
