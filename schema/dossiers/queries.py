"""`dossiers`, `dossier(id)`, and the dossier, entry and measurement nodes. Anything the
principal may not see is null, exactly like something that does not exist (D4)."""
from __future__ import annotations

from typing import Annotated, Any, Optional

import strawberry

from auth import policy
from auth.permissions import requires
from auth.scopes import Scope
from domain.dossiers import queries
from domain.dossiers.access import accesses, count_visible_dossiers, visible_dossiers
from schema.context import Info
from schema.dossiers.content import Entry, Measurement
from schema.dossiers.finding import finding_of
from schema.dossiers.types import Dossier
from schema.nodes import register_node
from domain.core.validation import MAX_NAME
from schema.relay import (
    After, Before, Connection, First, Last, encode_cursor, invalid_cursor, page_slice, parse_global_id, parse_pk,
    relay_page_info,
)


async def visible(info: Info, dossier_id: int):
    """The dossier's access for this principal, or None (missing or not visible)."""
    actor = info.context.actor
    if not policy.admits(info.context.principal, "dossier", "read"):
        return None  # operators: never any dossier content (P3)
    return await info.context.loader(accesses).load((actor, dossier_id))


async def _dossier_node(info: Info, pk: int) -> Optional[Dossier]:
    access = await visible(info, pk)
    return Dossier.from_access(access) if access else None


async def _entry_node(info: Info, pk: int) -> Optional[Entry]:
    found = await info.context.loader(queries.current_entries_by_id).load(pk)
    if found is None or await visible(info, found.dossier_id) is None:
        return None
    return Entry.from_row(found)


async def _measurement_node(info: Info, pk: int) -> Optional[Measurement]:
    row = await info.context.loader(queries.measurements_by_id).load(pk)
    if row is None or await visible(info, row.dossier_id) is None:
        return None
    return Measurement.from_model(row)


register_node("Dossier", _dossier_node)
register_node("Entry", _entry_node)
register_node("Measurement", _measurement_node)


def _after(cursor: list[str] | None) -> tuple[str, int] | None:
    """A dossiers cursor is (id, client name); the name may itself contain the separator."""
    if cursor is None:
        return None
    pk = parse_pk(cursor[0]) if len(cursor) >= 2 else None
    name = "|".join(cursor[1:])
    if pk is None or len(name) > MAX_NAME:
        raise invalid_cursor()
    return name, pk


class DossierEdge:
    """An edge of `dossiers` whose cursor (client name and id) is encoded only when a query
    asks for it, as `relay.KeyedEdge` for entries: a page read for its nodes alone spends
    a tenth of its calls on twenty cursors. The page's first and last cursors, which its
    pageInfo carries anyway, are kept once encoded."""

    __slots__ = ("node", "row", "_cursor")

    def __init__(self, node: Dossier, row: Any) -> None:
        self.node, self.row, self._cursor = node, row, None

    @property
    def cursor(self) -> str:
        if self._cursor is None:
            self._cursor = encode_cursor(self.row.id, self.row.client_name)
        return self._cursor


@strawberry.type
class DossierQuery:
    @strawberry.field(extensions=requires(Scope.DOSSIERS_READ), description=(
        "The dossiers the principal may see, by client name: all of the account's for owners and admins, the "
        "assigned ones for members, plus those shared with them. The filters narrow it and combine. "
        "A bad search, cursor or page size is a top-level INVALID_INPUT."))
    async def dossiers(self, info: Info, first: First = None, after: After = None, last: Last = None,
                       before: Before = None,
                       include_archived: Annotated[Optional[bool], strawberry.argument(
                           description="Also list archived dossiers.")] = False,
                       search: Annotated[Optional[str], strawberry.argument(
                           description="Part of the client's name or reference, in any case, accents or not: "
                                       "at most 200 characters, with a letter or digit among them.")] = None,
                       assigned_to_me: Annotated[Optional[bool], strawberry.argument(
                           description="true: only the dossiers the viewer is assigned to; false: only their "
                                       "account's dossiers they are not assigned to, and those shared with them; "
                                       "left out: either.")] = None,
                       active_this_month: Annotated[Optional[bool], strawberry.argument(
                           description="true: only dossiers active this month in their account's time zone; "
                                       "false: only the others; left out: either.")] = None,
                       archived_only: Annotated[Optional[bool], strawberry.argument(
                           description="Only archived dossiers.")] = False) -> Connection[Dossier]:
        wanted = page_slice(first, after, last, before, key=_after)
        finding = finding_of(search, assigned_to_me, active_this_month, archived_only)
        actor, now = info.context.actor, info.context.now
        page, more = await visible_dossiers(actor, include_archived=bool(include_archived), first=wanted.size,
                                            after=wanted.after, before=wanted.before, from_end=wanted.from_end,
                                            finding=finding, now=now)

        async def count() -> int:
            return await count_visible_dossiers(actor, include_archived=bool(include_archived), finding=finding,
                                                now=now)

        edges = [DossierEdge(Dossier.from_model(access.row, access), access.row) for access in page]
        first = last = None
        if edges:
            first, last = edges[0].cursor, edges[-1].cursor
        return Connection(edges=edges, nodes=[edge.node for edge in edges],  # type: ignore[misc]
                          page_info=relay_page_info(wanted, more, first, last), count=count)

    @strawberry.field(extensions=requires(Scope.DOSSIERS_READ),
                      description="A dossier; null when it does not exist or the principal may not see it.")
    async def dossier(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(
            description="The dossier's global id.")]) -> Optional[Dossier]:
        parsed = parse_global_id(id)
        if parsed is None or parsed[0] != "Dossier":
            return None
        return await _dossier_node(info, parsed[1])
