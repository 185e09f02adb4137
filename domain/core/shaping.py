"""Lists PostgreSQL hands over already in their response's form (issue 27): the API
composes the SQL of one item's JSON from a selection (schema/shaped.py); this runs it
over a dossier's rows, one statement for a page of dossiers. The rows are the same ones
the unshaped reads return, in the same order. PostgreSQL only."""
from __future__ import annotations

from typing import NamedTuple

from tortoise import connections

from infra.db import fetch_records


class ItemSql(NamedTuple):
    """One item's JSON (`json`), a condition true where that JSON is what the API's own
    completion gives (`guard`), and the column of the account each item belongs to
    (`account`, which its audience rule reads), as SQL over the rows' columns."""

    json: str
    guard: str
    account: str | None


class ShapedGroup(NamedTuple):
    """A dossier's list: the items as a JSON array's text, their ids, whether more lie
    beyond the page, whether every row met the guard, the accounts of the items, and
    the dossier. `shaped_groups` answers the driver's records, which read the same by
    position (a page reads sixty of them: no object built per row)."""

    items: str
    ids: list[int]
    more: bool
    sound: bool
    accounts: list[int]
    dossier_id: int


def empty(dossier_id: int) -> ShapedGroup:
    """The list of a dossier without rows."""
    return ShapedGroup("[]", [], False, True, [], dossier_id)


async def shaped_groups(source: str, params: list, item: ItemSql, order: str, *, shown: str = "TRUE",
                        more: str = "FALSE") -> dict[int, ShapedGroup]:
    """Each dossier's list from `source` (a FROM item with `dossier_id` and `id`
    columns), its items in `order`; `shown` keeps the rows of the page, `more` says
    whether more lie beyond it. Dossiers without rows are missing (`empty`)."""
    accounts = (f"COALESCE(array_agg(DISTINCT {item.account}) FILTER (WHERE {shown}), '{{}}')"
                if item.account is not None else "'{}'::bigint[]")
    records = await fetch_records(
        connections.get("default"),
        f"SELECT COALESCE(json_agg({item.json} ORDER BY {order}) FILTER (WHERE {shown}), '[]')::text, "
        f"COALESCE(array_agg(id ORDER BY {order}) FILTER (WHERE {shown}), '{{}}'), {more}, "
        f"COALESCE(bool_and({item.guard}), TRUE), {accounts}, dossier_id FROM {source} GROUP BY dossier_id",
        params)
    return {record[5]: record for record in records}
