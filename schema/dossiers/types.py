"""The Dossier type, its access log, and active-client usage (A6).

A `Dossier` object only ever exists for a dossier its principal may see (queries, node
and payloads check first). Every content field records a read in the access log (P2)
(once per dossier and request, see `schema.dossiers.content`), and needs
`dossiers:read`, which operators never hold (P3): a Dossier is also reached through
`Share.dossier` and `usage.activeDossiers`, so its fields keep their own (sync) check.
Entries and measurements are in `schema.dossiers.content`.
"""
from __future__ import annotations

from datetime import date, datetime
import asyncio
from typing import TYPE_CHECKING, Annotated, Optional

import strawberry
from graphql import GraphQLError

from auth.permissions import requires
from auth.scopes import Scope
from domain.accounts import queries as account_queries
from domain.accounts.models import User as UserRow
from domain.billing import terms as billing_terms
from domain.core.clock import month_key
from domain.core.errors import DomainError, Forbidden
from domain.dossiers import queries
from domain.dossiers.access import sees_team_of
from domain.dossiers.models import Dossier as DossierRow
from domain.dossiers.reads import access_log_pages, ensure_may_read_log
from schema.accounts.types import Node, Teammate
from schema.context import Info
from schema.dossiers.content import Entry, EntryKind, Measurement, note_read, shown
from schema.relay import Connection, decode_cursor, encode_cursor, page_size, to_global_id

if TYPE_CHECKING:
    from schema.shares.types import Share

__all__ = ["AccessLogEntry", "ActiveClientUsage", "Dossier", "Entry", "EntryKind", "Measurement", "usage_of"]


@strawberry.type
class AccessLogEntry:
    """One read of the dossier's content (P2)."""

    row: strawberry.Private[object]

    @strawberry.field
    def user_id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("User", self.row.user_id))

    @strawberry.field
    async def email(self, info: Info) -> Optional[str]:
        user: UserRow | None = await info.context.loader(account_queries.users_by_id).load(self.row.user_id)
        return user.email if user else None

    @strawberry.field
    def read_at(self) -> datetime:
        return self.row.read_at


@strawberry.type
class FreeField:
    name: str
    value: str


@strawberry.type
class Dossier(Node):
    row: strawberry.Private[DossierRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Dossier", self.row.id))

    @strawberry.field(extensions=requires(Scope.DOSSIERS_READ))
    def client_name(self, info: Info) -> str:
        return shown(info, self.row.id, self.row.account_id, self.row.client_name)

    @strawberry.field(extensions=requires(Scope.DOSSIERS_READ))
    def reference(self, info: Info) -> Optional[str]:
        return shown(info, self.row.id, self.row.account_id, self.row.reference)

    @strawberry.field(extensions=requires(Scope.DOSSIERS_READ))
    def date_of_birth(self, info: Info) -> Optional[date]:
        return shown(info, self.row.id, self.row.account_id, self.row.date_of_birth)

    @strawberry.field(extensions=requires(Scope.DOSSIERS_READ))
    def free_fields(self, info: Info) -> list[FreeField]:
        """The profile's named free fields (D1), in the order they were given."""
        fields = [FreeField(name=item["name"], value=item["value"]) for item in self.row.free_fields or []]
        return shown(info, self.row.id, self.row.account_id, fields)

    @strawberry.field
    def archived(self) -> bool:
        return self.row.archived_at is not None

    @strawberry.field
    async def active_this_month(self, info: Info) -> bool:
        """Active in the current calendar month of the dossier's account (A1)."""
        account = await info.context.loader(account_queries.accounts_by_id).load(self.row.account_id)
        month = month_key(info.context.now, account.time_zone)
        return await info.context.loader(queries.dossiers_active).load((self.row.account_id, month, self.row.id))

    @strawberry.field(extensions=requires(Scope.DOSSIERS_READ))
    async def entries(self, info: Info, first: Optional[int] = None,
                      after: Optional[str] = None) -> Connection[Entry]:
        """Newest first."""
        await _recorded(info, self.row)
        key = (self.row.id, page_size(first), _cursor_id(decode_cursor(after)))
        rows, has_next = await info.context.loader(queries.entry_pages).load(key)
        return Connection.build([Entry.from_model(row, current) for row, current in rows],
                                [encode_cursor(row.id) for row, _ in rows], has_next)

    @strawberry.field(extensions=requires(Scope.DOSSIERS_READ))
    async def measurements(self, info: Info) -> list[Measurement]:
        await _recorded(info, self.row)
        rows = await info.context.loader(queries.measurements_by_dossier).load(self.row.id)
        return [Measurement.from_model(row) for row in rows]

    @strawberry.field(extensions=requires(Scope.DOSSIERS_READ))
    async def shares(self, info: Info) -> list[Annotated["Share", strawberry.lazy("schema.shares.types")]]:
        from schema.shares.types import shares_of_dossier

        return await shares_of_dossier(info, self.row.id)

    @strawberry.field(extensions=requires(Scope.DOSSIERS_READ))
    async def assignees(self, info: Info) -> list[Teammate]:
        """The account's own teammates only; people outside it see none."""
        if not sees_team_of(info.context.actor, self.row.account_id):
            return []
        rows = await info.context.loader(queries.assignees_by_dossier).load(self.row.id)
        return [Teammate.from_model(row) for row in rows]

    @strawberry.field(extensions=requires(Scope.AUDIT_READ))
    async def access_log(self, info: Info, first: Optional[int] = None,
                         after: Optional[str] = None) -> Connection[AccessLogEntry]:
        """Who read this dossier, newest first (P2). Owners and admins of its account."""
        try:
            ensure_may_read_log(info.context.actor, self.row)
        except Forbidden as error:
            raise GraphQLError(str(error), extensions={"code": "FORBIDDEN"}) from None
        key = (self.row.id, self.row.account_id, page_size(first), _cursor_id(decode_cursor(after)))
        rows, has_next = await info.context.loader(access_log_pages).load(key)
        return Connection.build([AccessLogEntry(row=row) for row in rows],
                                [encode_cursor(row.id) for row in rows], has_next)

    @classmethod
    def from_model(cls, row: DossierRow) -> "Dossier":
        return cls(row=row)


async def _recorded(info: Info, row: DossierRow) -> None:
    pending = note_read(info, row.id, row.account_id)
    if pending is not None:
        await pending


def _cursor_id(cursor: list[str] | None) -> int | None:
    if cursor is None:
        return None
    if not cursor or not cursor[0].isdigit():
        raise GraphQLError("The cursor is not valid.", extensions={"code": "INVALID_INPUT"})
    return int(cursor[0])


@strawberry.type
class ActiveClientUsage:
    """An account's active clients in one month (A6)."""

    usage: strawberry.Private[queries.Usage]

    @strawberry.field
    def month(self) -> str:
        return self.usage.month

    @strawberry.field
    def count(self) -> int:
        return self.usage.count

    @strawberry.field
    def limit(self) -> Optional[int]:
        return self.usage.limit

    @strawberry.field
    def resets_on(self) -> date:
        return self.usage.resets_on

    @strawberry.field
    async def active_dossiers(self, info: Info) -> list[Dossier]:
        """Those active in the month that the viewer may see (one batch for all months)."""
        key = (info.context.actor, self.usage.account_id, self.usage.month)
        rows = await info.context.loader(queries.active_dossiers).load(key)
        return [Dossier.from_model(row) for row in rows]


def _invalid(error: DomainError) -> GraphQLError:
    return GraphQLError(error.message, extensions={"code": "INVALID_INPUT", "field": list(error.field)})


async def _usages(info: Info, account, months: list[str]) -> list[ActiveClientUsage]:
    """Counts and caps through per-request loaders: the terms are shared with
    `subscription`, and `usage` + `usageHistory` in one request read the counts once.
    Past months show the cap they had (A6), from billing's tier history."""
    ctx = info.context
    counts, terms = await asyncio.gather(
        ctx.loader(queries.month_counts).load_many([(account.id, month) for month in months]),
        ctx.loader(billing_terms.terms_as_of).load(billing_terms.AsOf(account.id, ctx.now, ctx.catalog)))
    this_month = month_key(ctx.now, terms.time_zone)
    history = (await ctx.loader(billing_terms.tier_histories).load(account.id)
               if any(month < this_month for month in months) else [])
    return [ActiveClientUsage(usage=queries.usage_in(
                account.id, month, count, billing_terms.cap_of_month(ctx.catalog, terms, history, month)))
            for month, count in zip(months, counts)]


async def usage_of(info: Info, account, month: str | None) -> ActiveClientUsage:
    """`Account.usage(month)`; the account was already checked to be the principal's."""
    try:
        key = queries.check_month(month, info.context.now, account.time_zone)
    except DomainError as error:
        raise _invalid(error) from None
    return (await _usages(info, account, [key]))[0]


async def usage_history_of(info: Info, account, last: int) -> list[ActiveClientUsage]:
    """`Account.usageHistory(last)`: this month and the ones before it (A6)."""
    try:
        months = queries.history_months(account, last=last, now=info.context.now)
    except DomainError as error:
        raise _invalid(error) from None
    return await _usages(info, account, months)
