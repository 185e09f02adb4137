"""The Dossier type, its shares and its access log (D1–D4, G, P2).

A `Dossier` object only ever exists for a dossier its principal may see: every path
that hands one out loads it through domain/dossiers/access.py, which also says what the
principal may do with it (`DossierAccess`). Plain fields are attributes; the fields
that show content are declared `metadata=CONTENT`, so the executor records the read
(P2) and keeps the type from operators (P3). Shares live here too: a dossier lists its
shares and a share names its dossier.
"""
from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from operator import attrgetter
from typing import Annotated, Any, Optional

import strawberry

from auth import policy
from auth.audiences import Audience
from domain.accounts.models import User as UserRow
from infra.clock import month_key
from domain.core.errors import Forbidden
from domain.dossiers import queries
from domain.dossiers.access import DossierAccess, accesses, managing_shares
from domain.dossiers.models import Dossier as DossierRow
from domain.dossiers.history import measurement_counts, measurement_pages
from domain.dossiers.reads import access_log_counts, access_log_pages
from domain.shares import queries as share_queries
from domain.shares.models import Share as ShareRow
from schema.accounts.people import Teammate
from schema.context import Info
from schema.dossiers.content import Entry, Measurement
from schema.nodes import Node, register_node
from schema.relay import (
    After, Before, Connection, First, Last, encode_cursor, invalid_cursor, page_slice, parse_pk, to_global_id,
)
from schema.rules import CONTENT, batched, rules
from schema.record_completion import GlobalId, ListRead, RecordConnection, RecordList, read_lists, record_columns
from schema.viewer_can import DossierCapabilities, dossier_capabilities


@rules(audience=Audience.CONTENT)
@strawberry.type(description="A named free field of the client's profile, such as \"GP\" or \"Allergies\".")
class FreeField:
    name: str = strawberry.field(description="The field's name, unique in the dossier regardless of case.")
    value: str = strawberry.field(description="Its text.")


@rules(audience=Audience.TEAM)
@strawberry.type(description="One read of a dossier's content (the right of access under GDPR).")
class AccessLogEntry:
    user_id: strawberry.ID = strawberry.field(description="The reader's user id (a global id).")
    email: Optional[str] = strawberry.field(description="The reader's current email address; null once the "
                                                        "login no longer exists.")
    read_at: datetime = strawberry.field(description="When they read it (the request's business time).")
    account_id: strawberry.Private[int]


@strawberry.enum(description="What a share allows.")
class ShareAccess(Enum):
    VIEWER = strawberry.enum_value("VIEWER", description="Read the dossier.")
    CONTRIBUTOR = strawberry.enum_value("CONTRIBUTOR", description="Read and write the dossier; only for paid "
                                                                   "users, never for guests.")


@strawberry.enum(description="Where a share stands.")
class ShareStatus(Enum):
    PENDING = strawberry.enum_value("PENDING", description="Waiting for the person to take it up through the "
                                                           "mailed invitation; no access yet.")
    ACTIVE = strawberry.enum_value("ACTIVE", description="The person has access.")
    SUSPENDED = strawberry.enum_value("SUSPENDED", description="Kept from the person while they are not a paid "
                                                               "user and hold more than three shares; it "
                                                               "comes back by itself.")


@strawberry.type(description="Free access to one dossier for an email address from outside the dossier's account "
                             ". Seen by its holder and by whoever manages the dossier's shares.")
class Share(Node):
    id: strawberry.ID = strawberry.field(description="The share's global id.")
    email: str = strawberry.field(description="The address the share was given to.")
    access: ShareAccess = strawberry.field(description="Read, or read and write.")
    status: ShareStatus = strawberry.field(description="Whether the person can use it now.")
    created_at: datetime = strawberry.field(description="When it was given.")
    pk: strawberry.Private[int]
    dossier_id: strawberry.Private[int]

    @strawberry.field(description="The dossier; null while the viewer may not see it (for its holder: a pending "
                                  "or suspended share).")
    async def dossier(self, info: Info) -> Optional["Dossier"]:
        access = await info.context.loader(accesses).load((info.context.actor, self.dossier_id))
        return Dossier.from_access(access) if access is not None else None

    @classmethod
    def from_model(cls, row: ShareRow) -> "Share":
        return cls(id=to_global_id("Share", row.id), email=row.email,
                   access=_SHARE_ACCESS.get(row.access) or ShareAccess(row.access),
                   status=_SHARE_STATUS.get(row.status) or ShareStatus(row.status), created_at=row.created_at,
                   pk=row.id, dossier_id=row.dossier_id)


# A share as a list completed from records reads it (domain.shares.queries.share_reads,
# schema/record_completion.py): the values `Share.from_model` gives.
record_columns(Share, id=GlobalId("Share", "id"), email="email", access="access", status="status",
               created_at="created_at")

# Dict lookups, not the enums' own (two Python calls each): a page shows a share or two per dossier.
_SHARE_ACCESS = {access.value: access for access in ShareAccess}
_SHARE_STATUS = {status.value: status for status in ShareStatus}


async def _accesses_of(dossiers: list["Dossier"], info: Info) -> list[Optional[DossierAccess]]:
    missing = [dossier for dossier in dossiers if dossier.access is None]
    if missing:
        loaded = await info.context.loader(accesses).load_all([(info.context.actor, d.pk) for d in missing])
        for dossier, access in zip(missing, loaded):
            dossier.access = access
    return [dossier.access for dossier in dossiers]


# Batch forms of the list relations (schema/rules.py `batched`): one call for a whole page
# of dossiers instead of one resolver call each, through the same DataLoaders, so a page
# completed in parts still reads each relation once. Each gives what the resolver gives.

async def _entries_of(dossiers: list["Dossier"], info: Info, first: Optional[int] = None,
                      after: Optional[str] = None, last: Optional[int] = None,
                      before: Optional[str] = None) -> list[Connection[Entry]]:
    page = page_slice(first, after, last, before)
    pages = await info.context.loader(queries.entry_pages).load_all([(d.pk, page) for d in dossiers])
    return [_entry_connection(info, dossier.pk, page, rows, more) for dossier, (rows, more) in zip(dossiers, pages)]


def _entries_from_records(dossiers: list["Dossier"], selection: RecordConnection, info: Info,
                          first: Optional[int] = None, after: Optional[str] = None,
                          last: Optional[int] = None, before: Optional[str] = None) -> ListRead:
    """`_entries_of` completed straight from the records (schema/record_completion.py): each
    dossier's connection as the response shows it."""
    page = page_slice(first, after, last, before)
    return ListRead(queries.entry_page_reads([(d.pk, page) for d in dossiers]),
                    lambda pages: selection.complete(info.context, page, pages))


_ID = attrgetter("id")


def _entry_connection(info: Info, dossier_id: int, page, rows, more: bool) -> Connection[Entry]:  # noqa: ANN001
    async def count() -> int:
        return await info.context.loader(queries.entry_counts).load(dossier_id)

    return Connection.keyed(Entry.from_rows(rows), list(map(_ID, rows)), page, more, count)


def _history_key(cursor: list[str] | None) -> tuple[datetime, int] | None:
    """A measurement history cursor is (id, when measured)."""
    if cursor is None:
        return None
    pk = parse_pk(cursor[0]) if len(cursor) == 2 else None
    try:
        at = datetime.fromisoformat(cursor[1]) if pk is not None else None
    except ValueError:
        at = None
    if pk is None or at is None or at.tzinfo is None:
        raise invalid_cursor()
    return at, pk


def _managed(dossiers: list["Dossier"], accesses: list[Optional[DossierAccess]]) -> list[int]:
    """The dossiers whose shares the viewer manages (the policy's answer, per dossier)."""
    return [dossier.pk for dossier, manages in zip(dossiers, managing_shares(accesses)) if manages]


def _seeing_team(dossiers: list["Dossier"], accesses: list[Optional[DossierAccess]]) -> list[int]:
    """The dossiers whose assignees the viewer may see (the policy's answer, per dossier)."""
    return [dossier.pk for dossier, access in zip(dossiers, accesses) if access is not None and access.sees_team]


async def _shares_of(dossiers: list["Dossier"], info: Info) -> list[list["Share"]]:
    managed = _managed(dossiers, await _accesses_of(dossiers, info))
    rows = dict(zip(managed, await info.context.loader(share_queries.shares_by_dossier).load_all(managed)))
    return [[Share.from_model(row) for row in rows.get(dossier.pk, ())] for dossier in dossiers]


async def _assignees_of(dossiers: list["Dossier"], info: Info) -> list[list[Teammate]]:
    seen = _seeing_team(dossiers, await _accesses_of(dossiers, info))
    rows = dict(zip(seen, await info.context.loader(queries.assignees_by_dossier).load_all(seen)))
    return [[Teammate.from_model(row) for row in rows.get(dossier.pk, ())] for dossier in dossiers]


def _shares_from_records(dossiers: list["Dossier"], selection: RecordList, info: Info) -> Any:
    """`_shares_of` completed straight from the records (schema/record_completion.py): a
    `ListRead`, read with the page's other lists."""
    return _from_records(dossiers, info, lambda accesses: _read_for(
        dossiers, _managed(dossiers, accesses), share_queries.share_reads, selection, info))


def _assignees_from_records(dossiers: list["Dossier"], selection: RecordList, info: Info) -> Any:
    """`_assignees_of` completed straight from the records (schema/record_completion.py)."""
    return _from_records(dossiers, info, lambda accesses: _read_for(
        dossiers, _seeing_team(dossiers, accesses), queries.assignee_reads, selection, info))


def _from_records(dossiers: list["Dossier"], info: Info, read: Any) -> Any:
    """`read(accesses)` (a `ListRead`) once every dossier's access is known: at once for a
    page's dossiers, which come with theirs; else a coroutine that reads them first and
    then the list alone."""
    if all(dossier.access is not None for dossier in dossiers):
        return read([dossier.access for dossier in dossiers])

    async def once_accessed() -> list:
        return (await read_lists([read(await _accesses_of(dossiers, info))]))[0]

    return once_accessed()


def _read_for(dossiers: list["Dossier"], read_for: list[int], reads: Any, selection: RecordList,
              info: Info) -> ListRead:
    """The list of the dossiers in `read_for` read, each other dossier's empty."""
    def complete(lists: list[list]) -> list[list]:
        found = dict(zip(read_for, lists))
        return selection.complete(info.context, [found.get(dossier.pk, []) for dossier in dossiers])

    return ListRead(reads(read_for), complete)


@rules(audience=Audience.CONTENT, reads=("pk", "account_id"))
@strawberry.type(description="A client's file: the profile, entries, measurements; the account's owners and admins "
                             "see it, its assigned members and those it is shared with; a dossier one may not see is "
                             "answered as if it did not exist.")
class Dossier(Node):
    id: strawberry.ID = strawberry.field(description="The dossier's global id.")
    client_name: str = strawberry.field(description="The client's name.", metadata=CONTENT)
    reference: Optional[str] = strawberry.field(description="The practice's own reference for the client.",
                                                metadata=CONTENT)
    date_of_birth: Optional[date] = strawberry.field(description="The client's date of birth.", metadata=CONTENT)
    free_fields: list[FreeField] = strawberry.field(description="The profile's named free fields, in the "
                                                                "order they were given.", metadata=CONTENT)
    archived: bool = strawberry.field(description="Archived: hidden from default lists, read-only.")
    pk: strawberry.Private[int]
    account_id: strawberry.Private[int]
    # What the viewer may do with it, when the loading query computed it already.
    access: strawberry.Private[Optional[DossierAccess]] = None

    async def _access(self, info: Info) -> Optional[DossierAccess]:
        if self.access is None:
            self.access = await info.context.loader(accesses).load((info.context.actor, self.pk))
        return self.access

    @strawberry.field(description="What the viewer may do with this dossier : answered by the "
                                  "same rules that guard the operations.")
    async def viewer_can(self, info: Info) -> DossierCapabilities:
        return await dossier_capabilities(info.context, await self._access(info), self.account_id)

    @strawberry.field(description="Whether the dossier is active in the current calendar month of its account "
                                  ": created or changed this month.")
    async def active_this_month(self, info: Info) -> bool:
        from domain.accounts import queries as account_queries

        account = await info.context.loader(account_queries.accounts_by_id).load(self.account_id)
        month = month_key(info.context.now, account.time_zone)
        return await info.context.loader(queries.dossiers_active).load((self.account_id, month, self.pk))

    @strawberry.field(description="The entries, newest first (a Relay connection).", metadata=CONTENT)
    @batched(_entries_of, from_records=_entries_from_records)
    async def entries(self, info: Info, first: First = None, after: After = None, last: Last = None,
                      before: Before = None) -> Connection[Entry]:
        page = page_slice(first, after, last, before)
        rows, more = await info.context.loader(queries.entry_pages).load((self.pk, page))
        return _entry_connection(info, self.pk, page, rows, more)

    @strawberry.field(description="The measurements, oldest first, so a series reads like a chart.",
                      metadata=CONTENT, deprecation_reason="Use `measurementHistory`, which pages and can "
                                                           "keep to one metric.")
    async def measurements(self, info: Info) -> list[Measurement]:
        rows = await info.context.loader(queries.measurements_by_dossier).load(self.pk)
        return [Measurement.from_model(row) for row in rows]

    @strawberry.field(description="The measurements as a series, oldest first by when they were measured (a "
                                  "Relay connection), of one metric or of all.", metadata=CONTENT)
    async def measurement_history(self, info: Info, metric: Annotated[Optional[str], strawberry.argument(
            description="Only measurements of this metric, e.g. \"weight\"; left out: every metric.")] = None,
                                  first: First = None, after: After = None, last: Last = None,
                                  before: Before = None) -> Connection[Measurement]:
        page = page_slice(first, after, last, before, key=_history_key)
        rows, more = await info.context.loader(measurement_pages).load((self.pk, metric, page))

        async def count() -> int:
            return await info.context.loader(measurement_counts).load((self.pk, metric))

        return Connection.of([Measurement.from_model(row) for row in rows],
                             [encode_cursor(row.id, row.measured_at.isoformat()) for row in rows], page, more, count)

    @strawberry.field(description="The live shares of the dossier, for those who manage its shares (the account's "
                                  "owners and admins, and assigned members); empty for everyone else.")
    @batched(_shares_of, from_records=_shares_from_records)
    async def shares(self, info: Info) -> list[Share]:
        access = await self._access(info)
        if access is None or not access.manages_shares:
            return []
        rows = await info.context.loader(share_queries.shares_by_dossier).load(self.pk)
        return [Share.from_model(row) for row in rows]

    @strawberry.field(description="The teammates assigned to the dossier, for people of its own account; "
                                  "empty for share holders from outside.")
    @batched(_assignees_of, from_records=_assignees_from_records)
    async def assignees(self, info: Info) -> list[Teammate]:
        access = await self._access(info)
        if access is None or not access.sees_team:
            return []
        rows = await info.context.loader(queries.assignees_by_dossier).load(self.pk)
        return [Teammate.from_model(row) for row in rows]

    @strawberry.field(description="Who read this dossier's content, newest first. Owners and admins of its "
                                  "account.")
    async def access_log(self, info: Info, first: First = None, after: After = None, last: Last = None,
                         before: Before = None) -> Connection[AccessLogEntry]:
        access = await self._access(info)
        if access is None or not access.reads_access_log:
            raise Forbidden("Only owners and admins of the dossier's account may read its access log.")
        page = page_slice(first, after, last, before)
        rows, more = await info.context.loader(access_log_pages).load((self.pk, self.account_id, page))
        key = (self.pk, self.account_id)

        async def count() -> int:
            return await info.context.loader(access_log_counts).load(key)

        return Connection.of([AccessLogEntry(user_id=strawberry.ID(to_global_id("User", row["user_id"])),
                                             email=row["email"], read_at=row["read_at"],
                                             account_id=row["account_id"]) for row in rows],
                             [encode_cursor(row["id"]) for row in rows], page, more, count)

    @classmethod
    def from_model(cls, row: DossierRow, access: Optional[DossierAccess] = None) -> "Dossier":
        """Its fields set in one dict, as `Entry.from_row`: a page or a search builds twenty
        (tests/unit/dossiers pins that this equals the dataclass's `__init__`)."""
        dossier = object.__new__(cls)
        free = row.free_fields
        dossier.__dict__ = {
            "id": to_global_id("Dossier", row.id), "client_name": row.client_name, "reference": row.reference,
            "date_of_birth": row.date_of_birth,
            "free_fields": [FreeField(name=item["name"], value=item["value"]) for item in free] if free else [],
            "archived": row.archived_at is not None, "pk": row.id, "account_id": row.account_id, "access": access}
        return dossier

    @classmethod
    def from_access(cls, access: DossierAccess) -> "Dossier":
        return cls.from_model(access.row, access)


def _holds(info: Info, row: ShareRow) -> bool:
    """The viewer's own share, or one waiting under their address once it is proven (I1)."""
    return policy.holds_share(info.context.principal, row.user_id, row.email)


async def shares_of_viewer(info: Info, user_row: UserRow) -> list[Share]:
    """`me.shares`: the live shares given to the viewer, in the order they were given."""
    # I1: what waits under an address is not shown to a login that has not proven it.
    email = user_row.email if user_row.email_verified else None
    rows = await info.context.loader(share_queries.shares_held_by).load((user_row.id, email))
    return [Share.from_model(row) for row in rows]


async def _share_node(info: Info, pk: int) -> Optional[Share]:
    row = await info.context.loader(share_queries.shares_by_id).load(pk)
    if row is None:
        return None
    if _holds(info, row):
        return Share.from_model(row)
    access = await info.context.loader(accesses).load((info.context.actor, row.dossier_id))
    return Share.from_model(row) if access is not None and access.manages_shares else None


register_node("Share", _share_node)
