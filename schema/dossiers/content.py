"""A dossier's entries and measurements (D1, D5). Their fields are plain attributes,
filled when the object is built, so a page of them completes without a resolver per
field; fields that show content are declared `metadata=CONTENT`, and the executor
records the read of their dossier (P2)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry

from auth.audiences import Audience
from domain.dossiers import queries
from domain.dossiers.models import Entry as EntryRow
from domain.dossiers.models import EntryRevision as EntryRevisionRow
from domain.dossiers.models import Measurement as MeasurementRow
from schema.context import Info
from schema.nodes import Node
from schema.relay import to_global_id
from schema.rules import CONTENT, rules
from schema.record_completion import GlobalId, record_columns


@strawberry.enum(name="EntryKind", description="What an entry is.")
class EntryKind(Enum):
    NOTE = strawberry.enum_value("NOTE", description="A note of a session or a call.")
    REPORT = strawberry.enum_value("REPORT", description="A report, e.g. for a referrer or an insurer.")
    RECOMMENDATION = strawberry.enum_value("RECOMMENDATION", description="Advice given to the client.")
    MEAL_PLAN = strawberry.enum_value("MEAL_PLAN", description="A meal plan (dieticians).")


_KIND = {kind.value: kind for kind in EntryKind}  # a dict lookup: pages build a hundred entries
_new_object = object.__new__


@rules(audience=Audience.CONTENT)
@strawberry.type(description="Who wrote a version, as they were then: the email is the one they had at "
                             "the time, also after they changed it. Part of the dossier, not of the team.")
class Author:
    user_id: strawberry.ID = strawberry.field(description="The writer's user id (a global id).")
    email: str = strawberry.field(description="The writer's email address at the time of writing.")

    @classmethod
    def of(cls, user_id: int, email: str) -> "Author":
        """One object per writer and address, shared: a page of entries names the same
        few writers a hundred times, and an author is never changed once built."""
        key = (user_id, email)
        author = _AUTHORS.get(key)
        if author is None:
            if len(_AUTHORS) >= _MAX_AUTHORS:
                _AUTHORS.clear()
            author = _AUTHORS[key] = cls(user_id=strawberry.ID(to_global_id("User", user_id)), email=email)
        return author


_AUTHORS: dict[tuple[int, str], Author] = {}
_MAX_AUTHORS = 4096


@rules(audience=Audience.CONTENT)
@strawberry.type(description="One version of an entry. Versions are never changed or deleted.")
class EntryRevision:
    version: int = strawberry.field(description="1 for the first text, then 2, 3 … for each revision.")
    body: str = strawberry.field(description="The text of this version.")
    author: Author = strawberry.field(description="Who wrote this version.")
    written_at: datetime = strawberry.field(description="When this version was written.")

    @classmethod
    def from_model(cls, row: EntryRevisionRow) -> "EntryRevision":
        return cls(version=row.version, body=row.body, author=Author.of(row.author_user_id, row.author_email),
                   written_at=row.written_at)


@rules(audience=Audience.CONTENT, reads=("dossier_id", "account_id"))
@strawberry.type(description="A note, report, recommendation or meal plan in a dossier. Its fields show the "
                             "current version; `revisions` holds them all.")
class Entry(Node):
    id: strawberry.ID = strawberry.field(description="The entry's global id (the same for every version).")
    kind: EntryKind = strawberry.field(description="What the entry is.")
    body: str = strawberry.field(description="The text of the current version.", metadata=CONTENT)
    version: int = strawberry.field(description="The current version's number.")
    author: Author = strawberry.field(description="Who wrote the current version.", metadata=CONTENT)
    written_at: datetime = strawberry.field(description="When the current version was written.", metadata=CONTENT)
    pk: strawberry.Private[int]
    dossier_id: strawberry.Private[int]
    account_id: strawberry.Private[int]

    @strawberry.field(description="Every version, oldest first.", metadata=CONTENT)
    async def revisions(self, info: Info) -> list[EntryRevision]:
        rows = await info.context.loader(queries.revisions_by_entry).load(self.pk)
        return [EntryRevision.from_model(row) for row in rows]

    @classmethod
    def from_row(cls, row: Any) -> "Entry":
        """From a row of an entry and its current version (domain.dossiers.queries)."""
        return cls.from_rows((row,))[0]

    @classmethod
    def from_rows(cls, rows: Any) -> list["Entry"]:
        """`from_row` of each, in one loop. Fields are set in one dict, not through the
        dataclass's keyword `__init__`: a page builds a hundred entries, and that halves
        their cost (tests/unit/dossiers pins that both give equal entries)."""
        entries = []
        authors, kinds = _AUTHORS, _KIND
        for row in rows:
            entry = _new_object(cls)
            author = authors.get((row.author_user_id, row.author_email)) or Author.of(row.author_user_id,
                                                                                      row.author_email)
            entry.__dict__ = {"id": to_global_id("Entry", row.id), "kind": kinds[row.kind], "body": row.body,
                              "version": row.current_version, "author": author,
                              "written_at": row.written_at, "pk": row.id, "dossier_id": row.dossier_id,
                              "account_id": row.account_id}
            entries.append(entry)
        return entries

    @classmethod
    def from_model(cls, row: EntryRow, current: EntryRevisionRow) -> "Entry":
        """An entry just written, with the version written (`current`)."""
        return cls(id=strawberry.ID(to_global_id("Entry", row.id)), kind=EntryKind(row.kind), body=current.body,
                   version=row.current_version, author=Author.of(current.author_user_id, current.author_email),
                   written_at=current.written_at, pk=row.id, dossier_id=row.dossier_id, account_id=row.account_id)


# An entry and its author as a page completed from records reads them
# (domain.dossiers.queries.entry_page_reads, schema/record_completion.py): the values
# `Entry.from_rows` gives.
record_columns(Author, user_id=GlobalId("User", "author_user_id"), email="author_email")
record_columns(Entry, id=GlobalId("Entry", "id"), kind="kind", body="body", version="current_version",
               author=Author, written_at="written_at", account_id="account_id", dossier_id="dossier_id")


def plain_decimal(value: Any) -> Decimal:
    """"72.5", not "72.500000" or "1E+2"."""
    return Decimal(format(Decimal(value).normalize(), "f"))


@rules(audience=Audience.CONTENT, reads=("dossier_id", "account_id"))
@strawberry.type(description="A measurement recorded in a dossier: a metric, an exact value, a unit and "
                             "when it was measured.")
class Measurement(Node):
    id: strawberry.ID = strawberry.field(description="The measurement's global id.")
    metric: str = strawberry.field(description="What was measured, e.g. \"weight\".", metadata=CONTENT)
    value: Decimal = strawberry.field(description="The exact value, as a decimal string (\"72.5\").",
                                      metadata=CONTENT)
    unit: str = strawberry.field(description="The unit of the value, e.g. \"kg\".", metadata=CONTENT)
    measured_at: datetime = strawberry.field(description="When it was measured: given with an offset, stored and "
                                                         "answered in UTC.", metadata=CONTENT)
    author: Author = strawberry.field(description="Who recorded it.", metadata=CONTENT)
    pk: strawberry.Private[int]
    dossier_id: strawberry.Private[int]
    account_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, row: MeasurementRow) -> "Measurement":
        return cls(id=strawberry.ID(to_global_id("Measurement", row.id)), metric=row.metric,
                   value=plain_decimal(row.value), unit=row.unit, measured_at=row.measured_at,
                   author=Author.of(row.author_user_id, row.author_email), pk=row.id, dossier_id=row.dossier_id,
                   account_id=row.account_id)
